import type { UsageEvent } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createNodeTokenFor, createOrgWithMember, postEvents, usageEvent, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { rebuildPerformanceRollups } from './rebuild.js';

const FIGURES =
  'requests clientErrors serverErrors clientErrorRate serverErrorRate tokensPerMinute latencyP50 latencyP95 latencyP99 ttftP50 ttftP99 decisions { decision requests }';
const PERFORMANCE = `query($from: DateTimeISO!, $to: DateTimeISO!, $bucket: PerformanceBucket!, $compare: Boolean) {
  performance(from: $from, to: $to, bucket: $bucket, compare: $compare) {
    from to bucket
    points { start end ${FIGURES} }
    totals { ${FIGURES} }
    providers { provider requests serverErrors latencyP50 }
    previous { from to points { start requests latencyP50 } totals { requests } }
  }
}`;

type Figures = {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  serverErrorRate: number;
  tokensPerMinute: number;
  latencyP50: number | null;
} & Record<string, unknown>;
type Report = {
  from: string;
  to: string;
  points: (Figures & { start: string; end: string })[];
  totals: Figures;
  providers: { provider: string | null; requests: number; serverErrors: number; latencyP50: number | null }[];
  previous: { from: string; to: string; points: { start: string; requests: number; latencyP50: number | null }[]; totals: { requests: number } } | null;
};

let cp: TestControlPlane;
let utc: OrgMember;
let eastern: OrgMember;

const keyOf = async (member: OrgMember) =>
  (await member.gql<{ createKey: { key: { id: string } } }>('mutation { createKey(input: { name: "agent", ownerLabel: "agent" }) { key { id } } }')).data!
    .createKey.key.id;

async function store(member: OrgMember, events: UsageEvent[]): Promise<void> {
  const res = await postEvents(cp, await createNodeTokenFor(member), { type: 'events', nodeId: 'node-a', events });
  expect(res.body).toEqual({ accepted: events.length, duplicates: 0 });
}

const near = (value: number | null, expected: number) => expect(Math.abs(value! - expected) / expected).toBeLessThan(0.05);

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'));
  utc = await createOrgWithMember(cp, 'owner');
  eastern = await createOrgWithMember(cp, 'owner', { timeZone: 'America/New_York' });
  const utcKey = await keyOf(utc);
  const at = (iso: string, overrides: Partial<UsageEvent> = {}) =>
    usageEvent(utc.orgId, utcKey, { startedAt: iso, inputTokens: 30, outputTokens: 30, ...overrides });
  await store(utc, [
    at('2026-11-30T10:05:00Z', { latencyMs: 100, ttftMs: 50 }),
    at('2026-11-30T10:10:00Z', { latencyMs: 100, ttftMs: 50 }),
    at('2026-11-30T10:20:00Z', { latencyMs: 100, ttftMs: 50 }),
    at('2026-11-30T10:30:00Z', { status: 503, decision: 'error', latencyMs: 2_000, ttftMs: null }),
    at('2026-11-30T10:40:00Z', { provider: 'anthropic', api: 'anthropic', latencyMs: 400, ttftMs: 200 }),
    at('2026-11-30T10:50:00Z', { provider: null, status: 403, decision: 'blocked', latencyMs: 2, ttftMs: null }),
    at('2026-11-30T11:00:00Z', { latencyMs: 100 }),
    at('2026-11-30T11:59:59Z', { latencyMs: 100 }),
    at('2026-11-30T08:30:00Z', { latencyMs: 1_000 }),
  ]);
  const easternKey = await keyOf(eastern);
  await store(eastern, [
    usageEvent(eastern.orgId, easternKey, { startedAt: '2026-11-30T03:00:00Z' }),
    usageEvent(eastern.orgId, easternKey, { startedAt: '2026-11-30T06:00:00Z' }),
  ]);
});

afterAll(async () => {
  await cp?.close();
});

describe('performance query', () => {
  it('reports each hour from the rollups written on ingestion, with the period before for comparison', async () => {
    const res = await utc.gql<{ performance: Report }>(PERFORMANCE, {
      from: '2026-11-30T10:00:00Z',
      to: '2026-11-30T12:00:00Z',
      bucket: 'HOUR',
      compare: true,
    });
    expect(res.errors).toBeUndefined();
    const report = res.data!.performance;
    expect(report.points.map((p) => [p.start, p.end, p.requests])).toEqual([
      ['2026-11-30T10:00:00.000Z', '2026-11-30T11:00:00.000Z', 6],
      ['2026-11-30T11:00:00.000Z', '2026-11-30T12:00:00.000Z', 2],
    ]);
    const [ten] = report.points;
    expect(ten).toMatchObject({ clientErrors: 1, serverErrors: 1, tokensPerMinute: 6 });
    expect(ten!.serverErrorRate).toBeCloseTo(1 / 6);
    // Forwarded and failed requests only: 100, 100, 100, 400, 2000.
    near(ten!.latencyP50, 100);
    near(ten!.latencyP99 as number, 2_000);
    near(ten!.ttftP50 as number, 50);
    expect(ten!.decisions).toEqual([
      { decision: 'ALLOWED', requests: 4 },
      { decision: 'BLOCKED', requests: 1 },
      { decision: 'ERROR', requests: 1 },
    ]);
    expect(report.totals.requests).toBe(8);
    expect(report.providers.map((p) => [p.provider, p.requests, p.serverErrors])).toEqual([
      ['openai', 6, 1],
      [null, 1, 0],
      ['anthropic', 1, 0],
    ]);
    expect(report.previous!.from).toBe('2026-11-30T08:00:00.000Z');
    expect(report.previous!.to).toBe('2026-11-30T10:00:00.000Z');
    expect(report.previous!.points.map((p) => p.requests)).toEqual([1, 0]);
    near(report.previous!.points[0]!.latencyP50, 1_000);
    expect(report.previous!.points[1]!.latencyP50).toBeNull();
  });

  it("counts a re-sent event once and groups hours into the organization's local days", async () => {
    const easternKey = await keyOf(eastern);
    const event = usageEvent(eastern.orgId, easternKey, { startedAt: '2026-11-30T07:00:00Z' });
    await store(eastern, [event]);
    const again = await postEvents(cp, await createNodeTokenFor(eastern, 'again'), { type: 'events', nodeId: 'node-a', events: [event] });
    expect(again.body).toEqual({ accepted: 0, duplicates: 1 });
    const res = await eastern.gql<{ performance: Report }>(PERFORMANCE, { from: '2026-11-29T05:00:00Z', to: '2026-12-01T05:00:00Z', bucket: 'DAY' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.performance.points.map((p) => [p.start, p.requests])).toEqual([
      ['2026-11-29T05:00:00.000Z', 1],
      ['2026-11-30T05:00:00.000Z', 2],
    ]);
    expect(res.data!.performance.previous).toBeNull();
  });

  it('rebuilds from stored events in SQL the same rows ingestion wrote', async () => {
    const em = cp.services.orm.em.fork() as EntityManager;
    const knex = em.getKnex();
    const rows = async () =>
      (
        await knex.raw(
          `select hour, provider, requests, client_errors, server_errors, input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram
             from performance_rollups where organization_id = ? order by hour, provider`,
          [utc.orgId],
        )
      ).rows;
    const written = await rows();
    expect(written).toHaveLength(5);
    await rebuildPerformanceRollups(knex, utc.orgId);
    expect(await rows()).toEqual(written);
  });

  it('refuses a range that ends before it starts or holds too many points', async () => {
    const backwards = await utc.gql(PERFORMANCE, { from: '2026-11-30T10:00:00Z', to: '2026-11-30T09:00:00Z', bucket: 'HOUR' });
    expect(backwards.errors?.[0]).toMatchObject({ message: 'to must be after from.', extensions: { code: 'BAD_USER_INPUT' } });
    const long = await utc.gql(PERFORMANCE, { from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z', bucket: 'HOUR' });
    expect(long.errors?.[0]?.message).toBe('A performance query returns at most 800 points; choose a shorter range or a larger bucket.');
  });
});
