import { readFileSync } from 'node:fs';
import { parseHdpHeader, type OrgConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { formatLatency, measureLatency } from '../testing/latency.js';
import { VerifiedTokens } from './verified-tokens.js';

/**
 * What verifying an HDP delegation token costs a request: a three-hop chain produced with the
 * reference implementation (four Ed25519 signatures over RFC 8785 canonical JSON), verified from
 * its header every time (a node that has not seen the token), and then as a session's later
 * calls find it in the node's cache. `PROVENANCE_BENCH_ITERATIONS` sets the sample size (default 2,000).
 */
const ITERATIONS = Number(process.env.PROVENANCE_BENCH_ITERATIONS ?? 2_000);

const vectors = JSON.parse(readFileSync(new URL('../../../shared/src/provenance/fixtures/reference-vectors.json', import.meta.url), 'utf8')) as {
  now: number;
  sessionId: string;
  issuer: { kid: string; publicKey: string };
  accepted: { name: string; header: string }[];
};

describe('HDP verification benchmark', () => {
  it('verifies a three-hop chain per request, and far faster once the node has it cached', () => {
    const header = vectors.accepted.find((v) => v.name.startsWith('three-hop chain signed with the issuer key'))!.header;
    const parsed = parseHdpHeader(header);
    expect(parsed.ok && parsed.token.chain.length).toBe(3);
    const org: OrgConfig = {
      id: '0190a5d0-0000-7000-8000-000000000001',
      plan: 'pro',
      timeZone: 'UTC',
      contentCapture: false,
      limiterFailMode: 'open',
      customModels: [],
      hdpTrustedKeys: [vectors.issuer],
    };
    const cached = new VerifiedTokens();
    expect(cached.verify(org, header, vectors.now)).toMatchObject({ ok: true });
    // A fresh cache each time: every call verifies all four signatures.
    const uncachedRun = () => new VerifiedTokens().verify(org, header, vectors.now);
    const cachedRun = () => cached.verify(org, header, vectors.now);
    const uncached = measureLatency(uncachedRun, ITERATIONS);
    const hit = measureLatency(cachedRun, ITERATIONS * 10);
    console.log(
      `HDP three-hop chain, verified: ${formatLatency(uncached)}\nHDP three-hop chain, cached: ${formatLatency(hit)}\n(${ITERATIONS} and ${ITERATIONS * 10} iterations)`,
    );
    expect(hit.p50).toBeLessThan(uncached.p50);
  });
});
