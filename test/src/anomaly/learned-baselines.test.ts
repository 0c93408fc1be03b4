import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrgWithMember, postEvents, usageEvent } from '@keyward/control-plane/testing';
import type { UsageEvent } from '@keyward/shared';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

const WEEK_MS = 7 * 24 * 3_600_000;

/**
 * Anomaly baselines across the planes: events a node ingested are learned on the control plane
 * into PostgreSQL, pushed to the node in the config, and the node scores a request that breaks
 * from them.
 */
describe('anomaly baselines learned on the control plane', () => {
  let system: TestSystem;
  let db: pg.Client;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'), { controlPlaneEnv: { KEYWARD_ANOMALY_LEARN_MS: '300' } });
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  const eventsOf = async (keyId: string) =>
    (await db.query('select anomaly_score, anomaly_reasons, started_at from usage_events where key_id = $1 order by started_at', [keyId])).rows as {
      anomaly_score: number;
      anomaly_reasons: { code: string; message: string }[];
    }[];

  it('learns each key’s usual traffic from ingested events, pushes it, and the node scores a runaway loop with its reason', { timeout: 120_000 }, async () => {
    // The client's hashes as this node computes them, from one call in another organization.
    const other = await createOrgWithMember(system.cp, 'owner');
    await system.addMockCredential(other);
    const probe = await system.createKey({}, other);
    const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    await client(probe.secret).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    const [seen] = (await eventually(
      async () => {
        const { rows } = await db.query(
          'select client_ip_hash, user_agent_hash, user_agent_family_hash, endpoint, model, input_tokens, output_tokens, cost_micros from usage_events where key_id = $1',
          [probe.id],
        );
        return rows.length > 0 ? rows : undefined;
      },
      10_000,
      'the probe event',
    )) as Record<string, string>[];

    await system.addMockCredential();
    const looping = await system.createKey();
    const steady = await system.createKey();
    // Three weeks of the loop key's quiet hours as a node would have reported them: two calls a minute.
    // Whole minutes, so both calls of a minute fall in the same minute.
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const history: UsageEvent[] = [];
    for (let week = 1; week <= 3; week++) {
      for (let minute = 0; minute < 40; minute++) {
        for (const second of [5, 35]) {
          history.push(
            usageEvent(system.owner.orgId, looping.id, {
              startedAt: new Date(now - week * WEEK_MS - minute * 60_000 + second * 1_000).toISOString(),
              clientIpHash: seen!.client_ip_hash!,
              userAgentHash: seen!.user_agent_hash!,
              userAgentFamilyHash: seen!.user_agent_family_hash!,
              endpoint: seen!.endpoint!,
              model: seen!.model!,
              inputTokens: Number(seen!.input_tokens),
              outputTokens: Number(seen!.output_tokens),
              costMicros: Number(seen!.cost_micros),
            }),
          );
        }
      }
    }
    const posted = await postEvents(system.cp, system.secrets.nodeToken, { type: 'events', nodeId: 'history-node', events: history });
    expect(posted.status).toBe(200);

    // Learned into PostgreSQL: the key's own baseline, and the organization's prior for its new keys.
    const stored = await eventually(
      async () => {
        const { rows } = await db.query(`select scope, baseline from anomaly_baselines where organization_id = $1 order by scope`, [system.owner.orgId]);
        return rows.length === 2
          ? (rows as { scope: string; baseline: { requestsPerMinuteOverall: { n: number }; clients: { observations: number } } }[])
          : undefined;
      },
      20_000,
      'the learned baselines',
    );
    expect(stored.map((r) => r.scope)).toEqual(['key', 'organization']);
    expect(stored[0]!.baseline.requestsPerMinuteOverall.n).toBe(120);
    expect(stored[0]!.baseline.clients.observations).toBe(240);

    // Pushed: the published config carries the key's baseline, and the node serves that version.
    const version = await eventually(
      async () => {
        const { rows } = await db.query(`select version, collections from config_versions where org_id = $1 order by version desc limit 1`, [
          system.owner.orgId,
        ]);
        const keys = Object.values((rows[0].collections as { keys: Record<string, { id: string; anomalyBaseline?: unknown }> }).keys);
        return keys.find((k) => k.id === looping.id)?.anomalyBaseline ? Number(rows[0].version) : undefined;
      },
      10_000,
      'a config version with the baseline',
    );
    await eventually(() => ((system.dp.node.readiness().version ?? 0) >= version ? true : undefined), 10_000, 'the node to serve it');

    // A new key is judged by the organization's prior: its first calls are usual.
    for (let i = 0; i < 2; i++) await client(steady.secret).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    // The loop key now calls forty times in a few seconds.
    for (let i = 0; i < 40; i++)
      await client(looping.secret).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `retry ${i}` }] });

    const loop = await eventually(
      async () => {
        const rows = await eventsOf(looping.id);
        return rows.length === 280 ? rows.slice(240) : undefined;
      },
      10_000,
      'the loop’s events',
    );
    expect(loop[0]!.anomaly_score).toBe(0);
    const last = loop.at(-1)!;
    expect(last.anomaly_score).toBeGreaterThan(0);
    expect(last.anomaly_reasons[0]).toMatchObject({ code: 'request_rate', message: expect.stringMatching(/^requests \d+× the key's usual rate/) });
    const quiet = await eventually(
      async () => {
        const rows = await eventsOf(steady.id);
        return rows.length === 2 ? rows : undefined;
      },
      10_000,
      'the steady key’s events',
    );
    expect(quiet.map((e) => [e.anomaly_score, e.anomaly_reasons])).toEqual([
      [0, []],
      [0, []],
    ]);
  });

  it('keeps baselines across a restart and resumes learning where it stopped', { timeout: 60_000 }, async () => {
    const learned = async () =>
      (await db.query(`select baseline, learned_until from anomaly_baselines where organization_id = $1 and scope = 'organization'`, [system.owner.orgId]))
        .rows[0] as {
        baseline: { requestsPerMinuteOverall: { n: number } };
        learned_until: Date;
      };
    const before = await learned();
    await system.restartControlPlane();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await learned();
    // Not learned again from the start: the history counts once (the loop's minutes may have been added since).
    expect(after.baseline.requestsPerMinuteOverall.n).toBeGreaterThanOrEqual(before.baseline.requestsPerMinuteOverall.n);
    expect(after.baseline.requestsPerMinuteOverall.n).toBeLessThan(before.baseline.requestsPerMinuteOverall.n + 5);
    expect(new Date(after.learned_until).getTime()).toBeGreaterThanOrEqual(new Date(before.learned_until).getTime());
  });
});
