import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fleetCredential, fleetGql, fleetKey, prepareFleetGround, type FleetGround } from '../support/fleet.js';
import type { PlaneProcess } from '../support/plane-process.js';
import { buildPreviousRelease, type PreviousRelease } from '../support/previous-release.js';
import { eventually } from '../support/system.js';

let release: PreviousRelease;
let ground: FleetGround | undefined;
beforeAll(() => {
  release = buildPreviousRelease();
}, 300_000);
afterAll(async () => {
  await ground?.close();
});

/** One answer and one stream through `node` with the official client; returns their request ids. */
async function callTwice(node: PlaneProcess, secret: string): Promise<string[]> {
  const client = new OpenAI({ apiKey: secret, baseURL: `${node.url}/v1`, maxRetries: 0 });
  const whole = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
  expect(whole.data.choices[0]?.message.content).toBeTruthy();
  const streamed = await client.chat.completions
    .create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count' }] })
    .withResponse();
  let chunks = 0;
  for await (const chunk of streamed.data) if (chunk.choices[0]?.delta.content) chunks += 1;
  expect(chunks).toBe(4);
  return [whole.response.headers.get('x-request-id')!, streamed.response.headers.get('x-request-id')!];
}

/**
 * During a rolling upgrade the first replica of the new release migrates the database while the
 * previous release's control planes and nodes still run on it (expand, then contract: see
 * `control-plane/src/migrations/expand-only.test.ts`). Here the previous release — built from
 * git history, the commit before the last schema change — runs its control plane and data plane
 * against the schema the current release migrated, beside a current control plane.
 */
describe('the previous release on the schema the current release migrated', () => {
  it('manages keys, serves requests and stores every event once, and the current release verifies its trail', async () => {
    expect(release.newMigrations.length).toBeGreaterThan(0);
    const t0 = Date.now();
    const phases: string[] = [];
    const mark = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    ground = await prepareFleetGround(inject('pgAdminUrl'));
    ground.mock.setBehaviour({ chunks: 4, intervalMs: 5, usage: { inputTokens: 12, outputTokens: 8 } });

    const current = await (await ground.controlPlane(0)).start();
    mark('current control plane migrated');
    const token = await ground.ownerToken();
    const { rows: migrated } = await ground.db.query<{ name: string }>('select name from mikro_orm_migrations');
    const ran = new Set(migrated.map((row) => row.name.replace(/\.[jt]s$/, '')));
    expect(release.newMigrations.map((file) => file.replace(/\.ts$/, '')).filter((name) => !ran.has(name))).toEqual([]);

    // The previous release starts on the migrated database and writes through its own ORM.
    const previous = await (await ground.controlPlane(1)).start(release.root);
    mark('previous control plane ready');
    await fleetCredential(previous, token, ground.mock);
    const older = await fleetKey(previous, token, 'made by the previous release');
    const newer = await fleetKey(current, token, 'made by the current release');

    // Its node, fed by its control plane, serves keys made by either release.
    const node = await (await ground.dataPlane(0, [previous.url])).start(release.root);
    mark('previous node ready');
    const served: string[] = [];
    for (const key of [older, newer]) {
      const ids = await eventually(() => callTwice(node, key.secret).catch(() => undefined), 20_000, `the key ${key.id} on the node`);
      served.push(...ids);
    }

    mark('four requests served');
    const stored = await eventually(
      async () => {
        const { rows } = await ground!.db.query<{ request_id: string; copies: number }>(
          'select request_id, count(*)::int as copies from usage_events where request_id = any($1) group by request_id',
          [served],
        );
        return rows.length === served.length ? rows : undefined;
      },
      30_000,
      'an event for every request the previous release served',
    );
    expect(stored.filter((row) => row.copies !== 1)).toEqual([]);

    // Both releases read what the previous one stored.
    for (const cp of [previous, current]) {
      const page = await fleetGql<{ usageEvents: { nodes: { requestId: string; keyId: string }[] } }>(
        cp,
        token,
        '{ usageEvents(first: 50) { nodes { requestId keyId } } }',
      );
      expect(page.usageEvents.nodes.map((event) => event.requestId).sort()).toEqual([...served].sort());
    }
    const verified = await fleetGql<{ verifyAuditTrail: { ok: boolean; problems: unknown[] } }>(
      current,
      token,
      '{ verifyAuditTrail { ok problems { problem chain seq message } } }',
    );
    expect(verified.verifyAuditTrail).toEqual({ ok: true, problems: [] });
    console.info(`previous release ${release.commit.slice(0, 10)} on the schema of ${release.newMigrations.join(', ')}: ${phases.join(', ')}`);
  }, 240_000);
});
