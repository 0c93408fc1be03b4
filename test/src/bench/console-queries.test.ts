import { createOrgWithMember, seedUsageEvents, startTestControlPlane, type OrgMember, type TestControlPlane } from '@keyward/control-plane/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * Events seeded over the last 30 days (`KEYWARD_CONSOLE_BENCH_EVENTS`; 20,000 inside `npm test`,
 * 1,000,000 with `npm run bench:console`), for an organization in Asia/Kathmandu.
 */
const EVENTS = Number(process.env.KEYWARD_CONSOLE_BENCH_EVENTS ?? 20_000);
const FULL = EVENTS >= 1_000_000;
/** What each chart's query should answer within; the figures are printed against it. */
const TARGET_MS = 300;
/** Timed runs of each query, after one warm-up (7 in the full run, 3 inside `npm test`); the median is reported. */
const RUNS = FULL ? 7 : 3;

const PERFORMANCE = `query($from: DateTimeISO!, $to: DateTimeISO!, $bucket: PerformanceBucket!) {
  performance(from: $from, to: $to, bucket: $bucket, compare: true) {
    points { start requests latencyP95 ttftP95 serverErrorRate tokensPerMinute decisions { decision requests } }
    totals { requests latencyP50 latencyP95 latencyP99 }
    providers { provider requests latencyP95 }
    previous { points { requests latencyP95 } totals { requests } }
  }
}`;
const OVERVIEW = `query($from: DateTimeISO!, $to: DateTimeISO!, $bucket: OverviewBucket!, $groupBy: OverviewGroupBy!) {
  overview(from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) {
    points { start requests costMicros blocked errors }
    series { group label requests costMicros }
    topKeys { keyId name prefix requests costMicros blocked }
  }
}`;
const SPEND = `query($from: String!, $to: String!) { usageRollups(groupBy: DAY, from: $from, to: $to) { group requests costMicros } }`;

let cp: TestControlPlane;
let owner: OrgMember;

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'));
  // Nepal's local days start at a quarter past a UTC hour: the overview splits an hour at each day's edge.
  owner = await createOrgWithMember(cp, 'owner', { timeZone: 'Asia/Kathmandu' });
  const keyIds: string[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await owner.gql<{ createKey: { key: { id: string } } }>(
      'mutation($n: String!) { createKey(input: { name: $n, ownerLabel: "bench" }) { key { id } } }',
      {
        n: `agent-${i}`,
      },
    );
    keyIds.push(res.data!.createKey.key.id);
  }
  const started = performance.now();
  await seedUsageEvents(cp, { orgId: owner.orgId, keyIds, count: EVENTS, days: 30 });
  console.log(`seeded ${EVENTS.toLocaleString('en-US')} events and their rollups in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, 1_800_000);

afterAll(async () => {
  await cp?.close();
});

async function median(query: string, variables: Record<string, unknown>): Promise<{ ms: number; data: unknown }> {
  let data: unknown;
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const started = performance.now();
    const res = await owner.gql(query, variables);
    const ms = performance.now() - started;
    expect(res.errors).toBeUndefined();
    data = res.data;
    if (i > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, data };
}

describe(`console queries over ${EVENTS.toLocaleString('en-US')} events in 30 days`, () => {
  it('answers the performance, overview and spend charts from rollups, over the seeded events exactly', { timeout: 300_000 }, async () => {
    const now = Date.now();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const ranges = {
      'performance, 24 hours by hour': [PERFORMANCE, { from: new Date(now - 86_400_000).toISOString(), to: new Date(now).toISOString(), bucket: 'HOUR' }],
      'performance, 7 days by hour': [PERFORMANCE, { from: new Date(now - 7 * 86_400_000).toISOString(), to: new Date(now).toISOString(), bucket: 'HOUR' }],
      'performance, 30 days by day': [
        PERFORMANCE,
        { from: new Date(now - 31 * 86_400_000).toISOString(), to: new Date(now + 60_000).toISOString(), bucket: 'DAY' },
      ],
      'overview, 24 hours by hour and model': [
        OVERVIEW,
        { from: new Date(now - 86_400_000).toISOString(), to: new Date(now).toISOString(), bucket: 'HOUR', groupBy: 'MODEL' },
      ],
      'overview, 7 days by day and key': [
        OVERVIEW,
        { from: new Date(now - 7 * 86_400_000).toISOString(), to: new Date(now).toISOString(), bucket: 'DAY', groupBy: 'KEY' },
      ],
      'overview, 30 days by day and key': [
        OVERVIEW,
        { from: new Date(now - 31 * 86_400_000).toISOString(), to: new Date(now + 60_000).toISOString(), bucket: 'DAY', groupBy: 'KEY' },
      ],
      // Local days: today in Nepal may be tomorrow in UTC.
      'spend, 30 days by day': [SPEND, { from: day(now - 31 * 86_400_000), to: day(now + 86_400_000) }],
    } as const;
    const figures: string[] = [];
    for (const [name, [query, variables]] of Object.entries(ranges)) {
      const { ms, data } = await median(query, variables);
      figures.push(`${name}: ${ms.toFixed(0)} ms${ms < TARGET_MS ? '' : ` (over the ${TARGET_MS} ms target)`}`);
      if (name === 'performance, 30 days by day') {
        expect((data as { performance: { totals: { requests: number } } }).performance.totals.requests).toBe(EVENTS);
      }
      if (name === 'overview, 30 days by day and key') {
        const overview = (data as { overview: { points: { requests: number }[]; topKeys: { requests: number }[] } }).overview;
        expect(overview.points.reduce((sum, p) => sum + p.requests, 0)).toBe(EVENTS);
        expect(overview.topKeys).toHaveLength(5);
      }
      if (name === 'spend, 30 days by day') {
        const rows = (data as { usageRollups: { requests: number }[] }).usageRollups;
        expect(rows.reduce((sum, r) => sum + r.requests, 0)).toBe(EVENTS);
      }
    }
    console.log(`median of ${RUNS} runs, over HTTP:\n  ${figures.join('\n  ')}`);
  });
});
