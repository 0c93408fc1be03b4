/**
 * HDP delegation tokens as an agent framework makes them (the way the draft's reference
 * implementation issues and extends them): a root signed by the issuer over the RFC 8785
 * canonical JSON of `{header, principal, scope}`, and hops each signed over the chain so far
 * plus the root signature. Sent base64url-encoded in `X-HDP-Token`.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@keyward/shared';

/** An Ed25519 key pair, with the public key as an organization registers it. */
export interface HdpSigner {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** Base64url of the 32 raw public-key bytes. */
  readonly publicKey: string;
}

/** A new signing key named `kid`. */
export function hdpSigner(kid: string): HdpSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, publicKey: publicKey.export({ format: 'jwk' }).x! };
}

/** What a token says; everything has a default but the issuer. */
export interface HdpTokenSpec {
  readonly issuer: HdpSigner;
  readonly tokenId?: string;
  readonly sessionId?: string;
  readonly principal?: { id: string; id_type: string; display_name?: string };
  readonly scope?: Record<string, unknown>;
  readonly issuedAt?: number;
  readonly expiresInMs?: number;
  /** Hops in order; each signed by its own signer (the issuer's key when absent). */
  readonly hops?: readonly { agent_id: string; agent_type: string; action_summary: string; signer?: HdpSigner }[];
}

/** A token as JSON, before encoding. */
export function hdpToken(spec: HdpTokenSpec): Record<string, unknown> {
  const issuedAt = spec.issuedAt ?? Date.now();
  const header = {
    token_id: spec.tokenId ?? randomUUID(),
    issued_at: issuedAt,
    expires_at: issuedAt + (spec.expiresInMs ?? 3_600_000),
    session_id: spec.sessionId ?? 'sess-e2e',
    version: '0.1',
  };
  const principal = spec.principal ?? { id: 'usr_alice', id_type: 'opaque', display_name: 'Alice Chen' };
  const scope = spec.scope ?? {
    intent: 'Summarize the quarterly sales figures.',
    authorized_tools: ['database_read'],
    data_classification: 'internal',
    network_egress: true,
    persistence: false,
    max_hops: 3,
  };
  const value = sign(null, Buffer.from(canonicalJson({ header, principal, scope })), spec.issuer.privateKey).toString('base64url');
  const chain: Record<string, unknown>[] = [];
  for (const [index, hop] of (spec.hops ?? []).entries()) {
    const unsigned = {
      seq: index + 1,
      agent_id: hop.agent_id,
      agent_type: hop.agent_type,
      timestamp: issuedAt + index + 1,
      action_summary: hop.action_summary,
      parent_hop: index,
    };
    const signature = sign(null, Buffer.from(canonicalJson({ chain: [...chain, unsigned], root_sig: value })), (hop.signer ?? spec.issuer).privateKey);
    chain.push({ ...unsigned, hop_signature: signature.toString('base64url') });
  }
  return {
    hdp: '0.1',
    header,
    principal,
    scope,
    chain,
    signature: { alg: 'Ed25519', kid: spec.issuer.kid, value, signed_fields: ['header', 'principal', 'scope'] },
  };
}

/** The `X-HDP-Token` header value of a token. */
export function hdpHeader(token: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/** The three-hop chain the tests send: orchestrator, sub-agent, tool executor. */
export const THREE_HOPS = [
  { agent_id: 'orchestrator-v2', agent_type: 'orchestrator', action_summary: 'Plan the report and delegate.' },
  { agent_id: 'sql-agent-v1', agent_type: 'sub-agent', action_summary: 'Query the sales database.' },
  { agent_id: 'report-writer', agent_type: 'tool-executor', action_summary: 'Ask the model for the summary.' },
] as const;
