import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hdpKeyRing } from './keys.js';
import { PROVENANCE_REASONS } from './reasons.js';
import { HDP_CHAIN_MAX_HOPS, parseHdpHeader } from './token.js';
import { verifyHdpHeader, type HdpVerification } from './verify.js';

const vectors = JSON.parse(readFileSync(new URL('./fixtures/reference-vectors.json', import.meta.url), 'utf8')) as {
  now: number;
  issuer: { kid: string; publicKey: string };
  accepted: { header: string }[];
};
const malformed = JSON.parse(readFileSync(new URL('./fixtures/malformed-headers.json', import.meta.url), 'utf8')) as {
  name: string;
  header?: string;
  json?: unknown;
  reason: string;
}[];
const keys = hdpKeyRing([vectors.issuer]);
const threeHop = JSON.parse(Buffer.from(vectors.accepted[1]!.header, 'base64url').toString('utf8')) as Record<string, unknown>;

const encoded = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const withField = (path: readonly string[], value: unknown): Record<string, unknown> => {
  const copy = structuredClone(threeHop);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[path.at(-1)!];
  else target[path.at(-1)!] = value;
  return copy;
};

/** Verifies without throwing, and says why when it refuses. */
function outcome(header: string): HdpVerification {
  let result: HdpVerification | undefined;
  expect(() => (result = verifyHdpHeader(header, { keys, now: vectors.now }))).not.toThrow();
  if (!result!.ok) {
    expect(Object.keys(PROVENANCE_REASONS)).toContain(result!.reason);
    expect(result!.message).not.toMatch(/\n\s+at /);
  }
  return result!;
}

const FIELD_PATHS = [
  ['hdp'],
  ['header'],
  ['header', 'token_id'],
  ['header', 'issued_at'],
  ['header', 'expires_at'],
  ['header', 'session_id'],
  ['principal'],
  ['principal', 'id'],
  ['principal', 'id_type'],
  ['scope'],
  ['scope', 'intent'],
  ['scope', 'authorized_tools'],
  ['scope', 'data_classification'],
  ['scope', 'network_egress'],
  ['scope', 'max_hops'],
  ['chain'],
  ['chain', '0'],
  ['chain', '0', 'seq'],
  ['chain', '0', 'agent_type'],
  ['chain', '1', 'parent_hop'],
  ['chain', '2', 'hop_signature'],
  ['signature'],
  ['signature', 'alg'],
  ['signature', 'kid'],
  ['signature', 'value'],
] as const;

describe('HDP header parsing under malformed input', () => {
  it('refuses any text with a reason code and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(outcome(text).ok).toBe(false);
      }),
    );
  });

  it('refuses base64url of any bytes and of any JSON value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(outcome(Buffer.from(bytes).toString('base64url')).ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(outcome(encoded(value)).ok).toBe(false);
      }),
    );
  });

  it('refuses a reference token with any field missing or of any other value', () => {
    // The one change that stays valid: no hops at all. A root alone is a whole token (the human's
    // own delegation), as the reference implementation accepts it; hops are signed one by one.
    const rootOnly = (path: readonly string[], value: unknown) => path.join('.') === 'chain' && Array.isArray(value) && value.length === 0;
    fc.assert(
      fc.property(fc.constantFrom(...FIELD_PATHS), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }), (path, value) => {
        const result = outcome(encoded(withField(path, value)));
        if (result.ok && !rootOnly(path, value)) expect(JSON.stringify(withField(path, value))).toBe(JSON.stringify(threeHop));
      }),
    );
  });

  it('refuses chains longer than Keyward reads as too large', () => {
    fc.assert(
      fc.property(fc.integer({ min: HDP_CHAIN_MAX_HOPS + 1, max: 400 }), (hops) => {
        const hop = (threeHop.chain as unknown[])[0];
        expect(outcome(encoded({ ...threeHop, chain: Array.from({ length: hops }, () => hop) }))).toMatchObject({ reason: 'too_large' });
      }),
      { numRuns: 20 },
    );
  });

  it('refuses duplicate sequence numbers, unknown algorithms and signatures of the wrong length with their own reasons', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), (index) => {
        const chain = [...(threeHop.chain as unknown[])];
        chain.splice(index, 0, chain[index]);
        expect(outcome(encoded({ ...threeHop, chain }))).toMatchObject({ reason: 'sequence_duplicate' });
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((alg) => alg !== 'Ed25519'),
        (alg) => {
          expect(outcome(encoded(withField(['signature', 'alg'], alg)))).toMatchObject({ reason: 'algorithm_unsupported' });
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).filter((bytes) => bytes.length !== 64),
        fc.constantFrom(['signature', 'value'], ['chain', '1', 'hop_signature']),
        (bytes, path) => {
          expect(outcome(encoded(withField(path, Buffer.from(bytes).toString('base64url'))))).toMatchObject({ reason: 'signature_length' });
        },
      ),
    );
  });

  it.each(malformed)('keeps refusing the kept case: $name', (fixture) => {
    const header = fixture.header ?? encoded(fixture.json);
    expect(outcome(header)).toMatchObject({ ok: false, reason: fixture.reason });
  });

  it('names the field a malformed token gets wrong', () => {
    expect(parseHdpHeader(encoded(withField(['chain', '1', 'agent_type'], 'robot')))).toMatchObject({
      reason: 'malformed',
      message: `the HDP token's "chain[1].agent_type" must be one of "orchestrator", "sub-agent", "tool-executor", "custom"`,
    });
  });
});
