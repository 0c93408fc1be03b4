import type { UsageEvent } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createNodeTokenFor, createOrgWithMember, postEvents, usageEvent, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { rebuildPerformanceRollups } from './rebuild.js';
import { rebuildUsageHourRollups } from './usage-hour-rollups.js';
import { sweepExpiredEvents } from '../events/retention.js';

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

const OVERVIEW = `query($from: DateTimeISO!, $to: DateTimeISO!, $bucket: OverviewBucket!, $groupBy: OverviewGroupBy!) {
  overview(from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) {
    from
    points { start requests costMicros blocked errors }
    series { group label requests costMicros }
    topKeys { keyId name prefix requests costMicros blocked }
  }
}`;
type Overview = {
  from: string;
  points: { start: string; requests: number; costMicros: number; blocked: number; errors: number }[];
  series: { group: string | null; label: string | null; requests: number[]; costMicros: number[] }[];
  topKeys: { keyId: string; name: string | null; prefix: string | null; requests: number; costMicros: number; blocked: number }[];
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

  it('splits the hour where a local day or hour starts inside it, in India and Nepal', async () => {
    // Local midnight is 18:30 UTC in Asia/Kolkata (+5:30) and 18:15 UTC in Asia/Kathmandu (+5:45).
    for (const [timeZone, midnight, lastHour, minutes] of [
      ['Asia/Kolkata', '18:30', '17:30', ['18:10', '18:40', '18:20', '18:35']],
      ['Asia/Kathmandu', '18:15', '17:15', ['18:05', '18:20', '18:10', '18:16']],
    ] as const) {
      const member = await createOrgWithMember(cp, 'owner', { timeZone });
      const key = await keyOf(member);
      // The day before, the local 20th twice (its first and last minutes: slow, one failed), the 21st.
      const [before, first, last, after] = minutes;
      await store(member, [
        usageEvent(member.orgId, key, { startedAt: `2026-11-19T${before}:00Z`, latencyMs: 100 }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-19T${first}:00Z`, latencyMs: 1_000, status: 502, decision: 'error', ttftMs: null }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-20T${last}:00Z`, latencyMs: 1_000, provider: 'anthropic', api: 'anthropic' }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-20T${after}:00Z`, latencyMs: 100 }),
      ]);
      const days = await member.gql<{ performance: Report }>(PERFORMANCE, {
        from: `2026-11-19T${midnight}:00Z`,
        to: `2026-11-21T${midnight}:00Z`,
        bucket: 'DAY',
      });
      expect(days.errors).toBeUndefined();
      const report = days.data!.performance;
      expect(
        report.points.map((p) => [p.start, p.requests, p.serverErrors]),
        timeZone,
      ).toEqual([
        [`2026-11-19T${midnight}:00.000Z`, 2, 1],
        [`2026-11-20T${midnight}:00.000Z`, 1, 0],
      ]);
      near(report.points[0]!.latencyP50, 1_000);
      near(report.points[1]!.latencyP99 as number, 100);
      expect(report.totals.requests, timeZone).toBe(3);
      expect(
        report.providers.map((p) => [p.provider, p.requests]),
        timeZone,
      ).toEqual([
        ['openai', 2],
        ['anthropic', 1],
      ]);
      // Local hours start inside UTC hours too: the last local hour of the 20th and the first of the 21st.
      const hours = await member.gql<{ performance: Report }>(PERFORMANCE, {
        from: `2026-11-20T${lastHour}:00Z`,
        to: `2026-11-20T19:${midnight.slice(3)}:00Z`,
        bucket: 'HOUR',
      });
      expect(hours.errors).toBeUndefined();
      expect(
        hours.data!.performance.points.map((p) => [p.start.slice(11, 16), p.requests, p.latencyP50 === null ? null : Math.round(p.latencyP50 / 100) * 100]),
        timeZone,
      ).toEqual([
        [lastHour, 1, 1_000],
        [midnight, 1, 100],
      ]);
    }
  });

  it('rebuilds from stored events in SQL the same rows ingestion wrote', async () => {
    const em = cp.services.orm.em.fork() as EntityManager;
    const knex = em.getKnex();
    const rows = async () =>
      (
        await knex.raw(
          `select 'hour' as grain, hour as start, provider, requests, client_errors, server_errors, input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram
             from performance_rollups where organization_id = ?
           union all
           select 'quarter', quarter, provider, requests, client_errors, server_errors, input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram
             from performance_quarter_rollups where organization_id = ?
           order by 1, 2, 3`,
          [utc.orgId, utc.orgId],
        )
      ).rows;
    const written = await rows();
    expect(written).toHaveLength(5 + 8);
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

describe('minute buckets', () => {
  it('charts the last hour minute by minute from the minute rollups, which the retention sweep prunes after 48 hours', async () => {
    const key = await keyOf(utc);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    await store(utc, [
      usageEvent(utc.orgId, key, { startedAt: iso(t0 + 5_000), latencyMs: 200 }),
      usageEvent(utc.orgId, key, { startedAt: iso(t0 + 20_000), latencyMs: 200, status: 502, decision: 'error' }),
      usageEvent(utc.orgId, key, { startedAt: iso(t0 + 2 * 60_000 + 1_000), latencyMs: 200 }),
      // Too old for minute rollups: counted by the hour only.
      usageEvent(utc.orgId, key, { startedAt: iso(t0 - 50 * 3_600_000) }),
    ]);
    const res = await utc.gql<{ performance: Report }>(PERFORMANCE, { from: iso(t0 - 5 * 60_000), to: iso(t0 + 5 * 60_000), bucket: 'MINUTE' });
    expect(res.errors).toBeUndefined();
    const points = res.data!.performance.points;
    expect(points).toHaveLength(10);
    expect(points.map((p) => p.requests)).toEqual([0, 0, 0, 0, 0, 2, 0, 1, 0, 0]);
    expect(points[5]).toMatchObject({ start: iso(t0), end: iso(t0 + 60_000), serverErrors: 1 });
    near(points[7]!.latencyP50, 200);

    const old = await utc.gql(PERFORMANCE, { from: iso(t0 - 50 * 3_600_000), to: iso(t0 - 49 * 3_600_000), bucket: 'MINUTE' });
    expect(old.errors?.[0]).toMatchObject({
      message: 'Minute buckets cover the last 48 hours; choose hours or days for an earlier range.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const knex = (cp.services.orm.em.fork() as EntityManager).getKnex();
    const minutes = async () =>
      Number((await knex.raw('select count(*) as n from performance_minute_rollups where organization_id = ?', [utc.orgId])).rows[0].n);
    expect(await minutes()).toBe(2);
    await knex.raw(`update performance_minute_rollups set minute = minute - interval '3 days' where organization_id = ? and minute = ?`, [utc.orgId, iso(t0)]);
    expect((await sweepExpiredEvents(cp.services)).minuteRollups).toBeGreaterThanOrEqual(1);
    expect(await minutes()).toBe(1);
  });
});

describe('overview query', () => {
  it('sums requests, spend, blocked requests and errors per bucket and ranks models and keys by spend', async () => {
    const key = await keyOf(utc);
    const at = (iso: string, model: string, costMicros: number, overrides: Partial<UsageEvent> = {}) =>
      usageEvent(utc.orgId, key, { startedAt: iso, model, costMicros, ...overrides });
    // Seven models on 2026-11-20: the five that spent the most get a series each, the last two are added up.
    await store(utc, [
      at('2026-11-20T09:10:00Z', 'm-a', 700),
      at('2026-11-20T09:20:00Z', 'm-a', 700, { decision: 'blocked', status: 403 }),
      at('2026-11-20T10:10:00Z', 'm-b', 600),
      at('2026-11-20T10:20:00Z', 'm-c', 500, { decision: 'error', status: 502 }),
      at('2026-11-20T10:30:00Z', 'm-d', 400),
      at('2026-11-20T10:40:00Z', 'm-e', 300),
      at('2026-11-20T10:50:00Z', 'm-f', 200),
      at('2026-11-20T11:00:00Z', 'm-g', 100, { model: null } as Partial<UsageEvent>),
    ]);
    const res = await utc.gql<{ overview: Overview }>(OVERVIEW, { from: '2026-11-20T09:30:00Z', to: '2026-11-20T12:00:00Z', bucket: 'HOUR', groupBy: 'MODEL' });
    expect(res.errors).toBeUndefined();
    const report = res.data!.overview;
    expect(report.from).toBe('2026-11-20T09:00:00.000Z');
    expect(report.points).toEqual([
      { start: '2026-11-20T09:00:00.000Z', requests: 2, costMicros: 1_400, blocked: 1, errors: 0 },
      { start: '2026-11-20T10:00:00.000Z', requests: 5, costMicros: 2_000, blocked: 0, errors: 1 },
      { start: '2026-11-20T11:00:00.000Z', requests: 1, costMicros: 100, blocked: 0, errors: 0 },
    ]);
    expect(report.series.map((s) => [s.group, s.requests, s.costMicros])).toEqual([
      ['m-a', [2, 0, 0], [1_400, 0, 0]],
      ['m-b', [0, 1, 0], [0, 600, 0]],
      ['m-c', [0, 1, 0], [0, 500, 0]],
      ['m-d', [0, 1, 0], [0, 400, 0]],
      ['m-e', [0, 1, 0], [0, 300, 0]],
      [null, [0, 1, 1], [0, 200, 100]],
    ]);
    const byKey = await utc.gql<{ overview: Overview }>(OVERVIEW, { from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z', bucket: 'DAY', groupBy: 'KEY' });
    expect(byKey.errors).toBeUndefined();
    expect(byKey.data!.overview.series).toEqual([{ group: key, label: 'agent', requests: [8], costMicros: [3_500] }]);
    expect(byKey.data!.overview.topKeys).toEqual([{ keyId: key, name: 'agent', prefix: expect.any(String), requests: 8, costMicros: 3_500, blocked: 1 }]);
  });

  it("groups hours into the organization's local days and rebuilds the same rows from stored events", async () => {
    const res = await eastern.gql<{ overview: Overview }>(OVERVIEW, {
      from: '2026-11-29T05:00:00Z',
      to: '2026-12-01T05:00:00Z',
      bucket: 'DAY',
      groupBy: 'MODEL',
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.overview.points.map((p) => [p.start, p.requests])).toEqual([
      ['2026-11-29T05:00:00.000Z', 1],
      ['2026-11-30T05:00:00.000Z', 2],
    ]);
    const knex = (cp.services.orm.em.fork() as EntityManager).getKnex();
    const rows = async () =>
      (
        await knex.raw(
          `select hour, key_id, model, provider, decision, requests, input_tokens, output_tokens, cost_micros from usage_hour_rollups
            where organization_id = ? order by hour, key_id, model, provider, decision`,
          [utc.orgId],
        )
      ).rows;
    const written = await rows();
    expect(written.length).toBeGreaterThan(10);
    await rebuildUsageHourRollups(knex, utc.orgId);
    expect(await rows()).toEqual(written);
  });

  it('splits the hour where a local day or hour starts inside it, in India and Nepal', async () => {
    // Local midnight is 18:30 UTC in Asia/Kolkata (+5:30) and 18:15 UTC in Asia/Kathmandu (+5:45).
    for (const [timeZone, minutes] of [
      ['Asia/Kolkata', ['18:10', '18:40', '18:20', '18:35']],
      ['Asia/Kathmandu', ['18:05', '18:20', '18:10', '18:16']],
    ] as const) {
      const member = await createOrgWithMember(cp, 'owner', { timeZone });
      const key = await keyOf(member);
      // The day before, the local 20th twice (its first and last minutes), the 21st.
      const [before, first, last, after] = minutes;
      await store(member, [
        usageEvent(member.orgId, key, { startedAt: `2026-11-19T${before}:00Z`, costMicros: 1 }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-19T${first}:00Z`, costMicros: 10 }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-20T${last}:00Z`, costMicros: 100, decision: 'blocked', status: 403 }),
        usageEvent(member.orgId, key, { startedAt: `2026-11-20T${after}:00Z`, costMicros: 1_000 }),
      ]);
      const midnight = timeZone === 'Asia/Kolkata' ? '18:30' : '18:15';
      const days = await member.gql<{ overview: Overview }>(OVERVIEW, {
        from: `2026-11-19T${midnight}:00Z`,
        to: `2026-11-21T${midnight}:00Z`,
        bucket: 'DAY',
        groupBy: 'KEY',
      });
      expect(days.errors).toBeUndefined();
      expect(days.data!.overview.points, timeZone).toEqual([
        { start: `2026-11-19T${midnight}:00.000Z`, requests: 2, costMicros: 110, blocked: 1, errors: 0 },
        { start: `2026-11-20T${midnight}:00.000Z`, requests: 1, costMicros: 1_000, blocked: 0, errors: 0 },
      ]);
      expect(days.data!.overview.series, timeZone).toEqual([{ group: key, label: 'agent', requests: [2, 1], costMicros: [110, 1_000] }]);
      expect(days.data!.overview.topKeys, timeZone).toEqual([
        { keyId: key, name: 'agent', prefix: expect.any(String), requests: 3, costMicros: 1_110, blocked: 1 },
      ]);
      // Local hours start inside UTC hours too: the last local hour of the 20th and the first of the 21st.
      const hours = await member.gql<{ overview: Overview }>(OVERVIEW, {
        from: `2026-11-20T${timeZone === 'Asia/Kolkata' ? '17:30' : '17:15'}:00Z`,
        to: `2026-11-20T${timeZone === 'Asia/Kolkata' ? '19:30' : '19:15'}:00Z`,
        bucket: 'HOUR',
        groupBy: 'MODEL',
      });
      expect(
        hours.data!.overview.points.map((p) => [p.start.slice(11, 16), p.requests, p.costMicros]),
        timeZone,
      ).toEqual([
        [timeZone === 'Asia/Kolkata' ? '17:30' : '17:15', 1, 100],
        [midnight, 1, 1_000],
      ]);
    }
  });

  it('refuses a range that holds too many points', async () => {
    const long = await utc.gql(OVERVIEW, { from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z', bucket: 'HOUR', groupBy: 'KEY' });
    expect(long.errors?.[0]).toMatchObject({
      message: 'An overview query returns at most 800 points; choose a shorter range or a larger bucket.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
