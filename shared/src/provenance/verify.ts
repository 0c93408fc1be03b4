/**
 * Verification of a parsed HDP token, in the order of the draft's section 7.3: chain structure,
 * trusted issuer, expiry, root signature over `{header, principal, scope}`, each hop's signature
 * over `{chain: [hops 1..n, hop n without its signature], root_sig}`, `max_hops`, session.
 * Canonical JSON is RFC 8785. Never throws: every failure is a reason code.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../crypto/canonical-json.js';
import type { HdpKeyRing } from './keys.js';
import { refuse, type ProvenanceRefusal } from './reasons.js';
import { parseHdpHeader, type HdpToken } from './token.js';

/** What a token is checked against. */
export interface HdpVerifyOptions {
  readonly keys: HdpKeyRing;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The session the request belongs to, when the caller knows it; a token of another is a replay. */
  readonly sessionId?: string;
  /** How far `issued_at` may be ahead of `now` (clock skew), in milliseconds. */
  readonly skewMs?: number;
}

/** The token proven, or why not. */
export type HdpVerification = { readonly ok: true; readonly token: HdpToken } | ProvenanceRefusal;

const DEFAULT_SKEW_MS = 60_000;

/** Checks the chain's structure, then the signatures, then the limits; cheap checks first. */
export function verifyHdpToken(token: HdpToken, options: HdpVerifyOptions): HdpVerification {
  const structure = chainStructureProblem(token);
  if (structure) return structure;
  const issuerKey = options.keys.issuer(token.kid);
  if (!issuerKey)
    return refuse('issuer_untrusted', `the HDP token is signed with key ${JSON.stringify(token.kid.slice(0, 64))}, which is not a trusted issuer key`);
  if (token.expiresAt < options.now) return refuse('expired', `the HDP token expired at ${new Date(token.expiresAt).toISOString()}`);
  if (token.issuedAt > options.now + (options.skewMs ?? DEFAULT_SKEW_MS)) return refuse('not_yet_valid', 'the HDP token is issued in the future');
  const rootPayload = signedJson({ header: token.raw.header, principal: token.raw.principal, scope: token.raw.scope });
  if (rootPayload === null || !ed25519Verifies(rootPayload, token.rootSignature, issuerKey)) {
    return refuse('root_signature_invalid', 'the HDP token root signature does not verify with the trusted issuer key');
  }
  const hops: Record<string, unknown>[] = [];
  for (const hop of token.chain) {
    const { hop_signature: _signature, ...unsigned } = hop.raw;
    const payload = signedJson({ chain: [...hops, unsigned], root_sig: token.rootSignatureText });
    const key = options.keys.agent(hop.agentId) ?? issuerKey;
    if (payload === null || !ed25519Verifies(payload, hop.signature, key)) {
      return refuse('hop_signature_invalid', `hop ${hop.seq} (${JSON.stringify(hop.agentId.slice(0, 64))}) signature does not verify`);
    }
    hops.push(hop.raw);
  }
  if (token.scope.maxHops !== undefined && token.chain.length > token.scope.maxHops) {
    return refuse('max_hops_exceeded', `the chain has ${token.chain.length} hops, more than its max_hops of ${token.scope.maxHops}`);
  }
  if (options.sessionId !== undefined && token.sessionId !== options.sessionId) {
    return refuse('session_mismatch', 'the HDP token belongs to another session');
  }
  return { ok: true, token };
}

/** Hops numbered 1, 2, 3… once each, each pointing at the root (0) or an earlier hop. */
function chainStructureProblem(token: HdpToken): ProvenanceRefusal | null {
  const seen = new Set<number>();
  for (const hop of token.chain) {
    if (seen.has(hop.seq)) return refuse('sequence_duplicate', `the chain holds hop ${hop.seq} twice`);
    seen.add(hop.seq);
  }
  for (const [index, hop] of token.chain.entries()) {
    if (hop.seq !== index + 1) return refuse('chain_broken', `the chain skips from hop ${index} to hop ${hop.seq}`);
    if (hop.parentHop >= hop.seq) return refuse('chain_broken', `hop ${hop.seq} names parent ${hop.parentHop}, which is not an earlier hop`);
  }
  return null;
}

/** The canonical bytes of a signed payload, or null when it cannot be written (too deep). */
function signedJson(value: unknown): Buffer | null {
  try {
    return Buffer.from(canonicalJson(value), 'utf8');
  } catch {
    return null;
  }
}

function ed25519Verifies(payload: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    return verifySignature(null, payload, key, signature);
  } catch {
    return false;
  }
}

/** Reads and verifies an `X-HDP-Token` header value; never throws. */
export function verifyHdpHeader(header: string, options: HdpVerifyOptions): HdpVerification {
  const parsed = parseHdpHeader(header);
  return parsed.ok ? verifyHdpToken(parsed.token, options) : parsed;
}
