import { readFileSync } from 'node:fs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../crypto/canonical-json.js';
import { hdpKeyRing, hdpPublicKeyProblem } from './keys.js';
import { refusalStatus } from './reasons.js';
import { hdpScopeRefusal } from './scope.js';
import { parseHdpHeader } from './token.js';
import { verifyHdpHeader } from './verify.js';

interface Vectors {
  sessionId: string;
  now: number;
  issuer: { kid: string; publicKey: string };
  agents: Record<string, string>;
  accepted: { name: string; agentKeys: boolean; header: string }[];
  refused: { name: string; source: string; reason: string; sessionId?: string; now?: number; header: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('./fixtures/reference-vectors.json', import.meta.url), 'utf8')) as Vectors;
const issuerOnly = hdpKeyRing([vectors.issuer]);
const withAgents = hdpKeyRing([vectors.issuer, ...Object.entries(vectors.agents).map(([agentId, publicKey]) => ({ kid: agentId, publicKey, agentId }))]);

function decoded(header: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encoded(token: unknown): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

describe('HDP verification against the reference implementation', () => {
  it.each(vectors.accepted)('accepts the reference token: $name', (vector) => {
    const result = verifyHdpHeader(vector.header, { keys: vector.agentKeys ? withAgents : issuerOnly, now: vectors.now, sessionId: vectors.sessionId });
    expect(result).toMatchObject({ ok: true });
  });

  it.each(vectors.refused)('refuses $name ($source) with $reason', (vector) => {
    const result = verifyHdpHeader(vector.header, { keys: issuerOnly, now: vector.now ?? vectors.now, sessionId: vector.sessionId ?? vectors.sessionId });
    expect(result).toMatchObject({ ok: false, reason: vector.reason });
  });

  it('reads the principal, scope and hop chain of a three-hop reference token', () => {
    const parsed = parseHdpHeader(vectors.accepted[1]!.header);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.token.principal).toEqual({ id: 'usr_alice_opaque', idType: 'opaque' });
    expect(parsed.token.scope).toMatchObject({
      authorizedTools: ['database_read', 'file_write'],
      dataClassification: 'confidential',
      networkEgress: true,
      maxHops: 3,
    });
    expect(parsed.token.chain.map((hop) => [hop.seq, hop.agentId, hop.agentType, hop.parentHop])).toEqual([
      [1, 'orchestrator-v2', 'orchestrator', 0],
      [2, 'sql-agent-v1', 'sub-agent', 1],
      [3, 'report-writer', 'tool-executor', 2],
    ]);
  });

  it('refuses a hop that a registered agent key did not sign, even when the issuer key did', () => {
    const result = verifyHdpHeader(vectors.accepted[1]!.header, { keys: withAgents, now: vectors.now, sessionId: vectors.sessionId });
    expect(result).toMatchObject({ ok: false, reason: 'hop_signature_invalid' });
  });

  it('refuses a hop re-pointed at a later parent before checking any signature', () => {
    const token = decoded(vectors.accepted[1]!.header);
    const chain = token.chain as Record<string, unknown>[];
    chain[1] = { ...chain[1], parent_hop: 2 };
    expect(verifyHdpHeader(encoded(token), { keys: issuerOnly, now: vectors.now })).toMatchObject({ ok: false, reason: 'chain_broken' });
  });

  it('verifies a token signed here over RFC 8785 canonical JSON, whatever the key order it is sent in', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const header = { version: '0.1', token_id: 't-1', session_id: 's', issued_at: 1000, expires_at: 5000 };
    const principal = { id_type: 'email', id: 'ana@example.com' };
    const scope = { persistence: false, network_egress: true, intent: 'é 😀', data_classification: 'internal' };
    const value = sign(null, Buffer.from(canonicalJson({ header, principal, scope })), privateKey).toString('base64url');
    const token = {
      signature: { kid: 'k', alg: 'Ed25519', value, signed_fields: ['header', 'principal', 'scope'] },
      chain: [],
      scope,
      principal,
      header,
      hdp: '0.1',
    };
    expect(verifyHdpHeader(encoded(token), { keys: hdpKeyRing([{ kid: 'k', publicKey: x }]), now: 2000 })).toMatchObject({ ok: true });
    expect(verifyHdpHeader(encoded(token), { keys: hdpKeyRing([{ kid: 'k', publicKey: x }]), now: 999 - 60_000 })).toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
  });

  it('answers malformed headers with 400, unproven tokens with 401 and scope refusals with 403', () => {
    expect(refusalStatus('json')).toBe(400);
    expect(refusalStatus('session_mismatch')).toBe(401);
    expect(refusalStatus('tool_unauthorized')).toBe(403);
  });

  it('accepts only 32-byte Ed25519 public keys in base64url', () => {
    expect(hdpPublicKeyProblem(vectors.issuer.publicKey)).toBeNull();
    expect(hdpPublicKeyProblem('abc')).toMatch(/base64url of 32 bytes/);
    expect(hdpPublicKeyProblem(`${vectors.issuer.publicKey}=`)).toMatch(/base64url of 32 bytes/);
  });
});

describe('HDP scope', () => {
  const parsed = parseHdpHeader(vectors.accepted[0]!.header);
  if (!parsed.ok) throw new Error(parsed.message);
  const scope = parsed.token.scope;

  it('allows the tools the token names and refuses any other', () => {
    expect(hdpScopeRefusal(scope, { tools: ['database_read'], egress: true })).toBeNull();
    expect(hdpScopeRefusal(scope, { tools: ['database_read', 'transfer_funds'], egress: true })).toMatchObject({
      reason: 'tool_unauthorized',
      message: expect.stringContaining('transfer_funds'),
    });
  });

  it('refuses every tool when the token names none, and egress when the token forbids it', () => {
    const bare = { ...scope, authorizedTools: undefined, networkEgress: false };
    expect(hdpScopeRefusal(bare, { tools: ['database_read'], egress: false })).toMatchObject({ reason: 'tool_unauthorized' });
    expect(hdpScopeRefusal(bare, { tools: [], egress: true })).toMatchObject({ reason: 'egress_forbidden', message: expect.stringContaining('confidential') });
    expect(hdpScopeRefusal(bare, { tools: [], egress: false })).toBeNull();
  });
});
