/**
 * The Ed25519 public keys a verifier trusts: issuer keys, found by the `kid` of a token's root
 * signature, and agent keys, found by a hop's `agent_id`. Keys are written as the reference
 * implementation exports them: base64url of the 32 raw bytes.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** A trusted key as configured: an issuer key when `agentId` is absent, else that agent's key. */
export interface HdpTrustedKey {
  readonly kid: string;
  readonly publicKey: string;
  readonly agentId?: string | null;
}

/** The keys of one organization, ready to verify with. */
export interface HdpKeyRing {
  issuer(kid: string): KeyObject | undefined;
  agent(agentId: string): KeyObject | undefined;
}

const RAW_PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/;

/** Why a public key cannot be used, or null when it is a 32-byte Ed25519 key in base64url. */
export function hdpPublicKeyProblem(publicKey: string): string | null {
  if (!RAW_PUBLIC_KEY.test(publicKey)) return 'must be an Ed25519 public key: base64url of 32 bytes (43 characters)';
  try {
    ed25519PublicKey(publicKey);
    return null;
  } catch {
    return 'is not an Ed25519 public key';
  }
}

function ed25519PublicKey(publicKey: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

/** Builds the key objects once; keys that `hdpPublicKeyProblem` refuses are left out. */
export function hdpKeyRing(keys: readonly HdpTrustedKey[]): HdpKeyRing {
  const issuers = new Map<string, KeyObject>();
  const agents = new Map<string, KeyObject>();
  for (const key of keys) {
    if (hdpPublicKeyProblem(key.publicKey) !== null) continue;
    const object = ed25519PublicKey(key.publicKey);
    if (key.agentId) agents.set(key.agentId, object);
    else issuers.set(key.kid, object);
  }
  return { issuer: (kid) => issuers.get(kid), agent: (agentId) => agents.get(agentId) };
}
