import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hdpKeyRing } from '../provenance/keys.js';
import { PROVENANCE_REASONS, refusalStatus, type ProvenanceReason } from '../provenance/reasons.js';
import { parseHdpHeader } from '../provenance/token.js';
import { verifyHdpHeader } from '../provenance/verify.js';
import { fuzzBudget } from './budget.js';

interface Vectors {
  sessionId: string;
  now: number;
  issuer: { kid: string; publicKey: string };
  agents: Record<string, string>;
  accepted: { name: string; agentKeys: boolean; header: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../provenance/fixtures/reference-vectors.json', import.meta.url), 'utf8')) as Vectors;
const keys = hdpKeyRing([vectors.issuer, ...Object.entries(vectors.agents).map(([agentId, publicKey]) => ({ kid: agentId, publicKey, agentId }))]);
const options = { keys, now: vectors.now, sessionId: vectors.sessionId };
const accepted = vectors.accepted.map((v) => JSON.parse(Buffer.from(v.header, 'base64url').toString('utf8')) as Record<string, unknown>);
const encoded = (token: unknown) => Buffer.from(JSON.stringify(token) ?? 'null', 'utf8').toString('base64url');

/** Every path to a leaf of a JSON value, as keys and indexes. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

/** A deep copy of `token` with the leaf at `path` replaced. */
function withLeaf(token: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(token) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = replacement;
  return copy;
}

function expectRefusal(result: ReturnType<typeof verifyHdpHeader>): void {
  if (result.ok) throw new Error('expected a refusal');
  expect(Object.keys(PROVENANCE_REASONS)).toContain(result.reason);
  expect([400, 401, 403]).toContain(refusalStatus(result.reason as ProvenanceReason));
  expect(result.message.length).toBeGreaterThan(0);
}

describe('fuzz: the HDP token reader and verifier', () => {
  it('answer any header, base64url of any JSON or of a reference token’s near neighbours, with a token or a refusal, never an exception', () => {
    const header = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 3 }).map(encoded),
      fc.constantFrom(...vectors.accepted.map((v) => v.header)).chain((h) => fc.nat(h.length).map((n) => h.slice(0, n))),
      fc.tuple(fc.constantFrom(...accepted), fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([token, replacement, pick]) => {
        const paths = leaves(token);
        return encoded(withLeaf(token, paths[pick % paths.length]!, replacement));
      }),
    );
    fc.assert(
      fc.property(header, (value) => {
        const parsed = parseHdpHeader(value);
        const verified = verifyHdpHeader(value, options);
        if (!parsed.ok) expect(verified).toEqual(parsed);
        if (!verified.ok) expectRefusal(verified);
      }),
      fuzzBudget(1_000),
    );
  });

  it('refuse a reference token with any signed field changed, whichever field and whatever value', () => {
    // The signatures cover everything but the `signature` object's `kid` and `alg` (which name the
    // key and algorithm and fail by themselves when changed) and `signed_fields` (informative:
    // the root signature is always checked over header, principal and scope, whatever it lists);
    // a changed value anywhere else must not verify.
    const signed = accepted.flatMap((token) =>
      leaves(token)
        .filter((path) => !(path[0] === 'signature' && ['kid', 'alg', 'signed_fields'].includes(String(path[1]))))
        .map((path) => ({ token, path })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...signed), fc.jsonValue({ maxDepth: 1 }), ({ token, path }, replacement) => {
        let original: unknown = token;
        for (const key of path) original = (original as Record<string | number, unknown>)[key];
        fc.pre(JSON.stringify(replacement) !== JSON.stringify(original));
        expectRefusal(verifyHdpHeader(encoded(withLeaf(token, path, replacement)), options));
      }),
      fuzzBudget(500),
    );
  });
});
