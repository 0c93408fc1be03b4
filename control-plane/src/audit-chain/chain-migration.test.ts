import { randomUUID } from 'node:crypto';
import { MikroORM, type EntityManager, type Knex } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ormOptions } from '../database.js';
import { prepareTestControlPlane, type TestControlPlaneGround } from '../testing/test-control-plane.js';
import { appendToChain } from './chain-append.js';
import { USAGE_CHAIN } from './chain-kinds.js';
import { trailLines } from './trail-lines.js';
import { verifyTrailLines } from './verify.js';

/** The last migration before the audit chain. */
const BEFORE_CHAIN = 'Migration20261206210119';

let ground: TestControlPlaneGround;
let orm: MikroORM;

beforeAll(async () => {
  ground = await prepareTestControlPlane(inject('pgAdminUrl'));
  orm = await MikroORM.init(ormOptions(ground.databaseUrl));
});

afterAll(async () => {
  await orm?.close(true);
  await ground?.remove();
});

/** Stores an event the way events were stored before the chain, `i` seconds apart. */
async function insertEvent(knex: Knex, orgId: string, i: number): Promise<Record<string, unknown>[]> {
  const result = await knex.raw<{ rows: Record<string, unknown>[] }>(
    `insert into usage_events (id, created_at, updated_at, organization_id, key_id, key_prefix, owner_label, api, endpoint, model, stream, status, decision, started_at,
       latency_ms, input_tokens, output_tokens, cached_input_tokens, cost_micros, client_ip_hash, user_agent_hash, request_id, node_id, tags, policy_matches)
     values (gen_random_uuid(), now() - make_interval(secs => ?), now(), ?, gen_random_uuid(), 'kw_AbCdE', 'agent', 'openai', 'chat.completions', ?, false, 200, 'allowed',
       now() - make_interval(secs => ?), 100, 10, 20, 0, ?, 'c', 'u', gen_random_uuid()::text, 'node-a', '["a"]', '[]')
     returning ${USAGE_CHAIN.chainStartSelectList}`,
    [2_000 - i, orgId, `model-${i}`, 2_000 - i, i],
  );
  return result.rows;
}

describe('the audit chain migration', () => {
  it('chains the rows stored before it, which read back unchanged, and new rows continue the chain in the content-digest format', async () => {
    await orm.getMigrator().up({ to: BEFORE_CHAIN });
    const em = orm.em.fork({ clear: true }) as EntityManager;
    const knex = em.getKnex();
    const orgId = randomUUID();
    await knex.raw(`insert into organizations (id, name, slug, plan, settings) values (?, 'Old', ?, 'pro', '{"retentionDays": 30}')`, [
      orgId,
      `old-${orgId.slice(0, 8)}`,
    ]);
    for (let i = 0; i < 1_203; i += 1) await insertEvent(knex, orgId, i);
    await knex.raw(
      `insert into audit_entries (id, created_at, organization_id, actor, action, outcome, args, ip_hash, user_agent, request_id)
       values (gen_random_uuid(), now() - interval '1 hour', ?, 'user:old', 'createKey', 'success', '{"input": {"name": "a"}}', 'h', 'ua', 'r1'),
              (gen_random_uuid(), now() - interval '30 minutes', ?, 'user:old', 'revokeKey', 'failure', '{}', 'h', 'ua', 'r2')`,
      [orgId, orgId],
    );
    const snapshot = async () => ({
      // Content retention's later column is not part of what they stored.
      usage: (await knex.raw(`select to_jsonb(u) - 'content_purged_at' as row from usage_events u order by id`)).rows,
      audit: (await knex.raw(`select to_jsonb(a) as row from audit_entries a order by id`)).rows,
    });
    const before = await snapshot();

    await orm.getMigrator().up({ to: 'Migration20261207000500' });
    expect(await snapshot()).toEqual(before);
    // Later migrations (columns added since, such as trace_id) run over the chained rows too.
    await orm.getMigrator().up();

    const seqs = (
      await knex.raw(`select l.seq from usage_events e join audit_chain_links l on l.row_id = e.id where e.organization_id = ? order by e.created_at, e.id`, [
        orgId,
      ])
    ).rows.map((r: { seq: string }) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 1_203 }, (_, i) => i + 1));

    await knex.transaction(async (trx) => appendToChain(trx, USAGE_CHAIN, await insertEvent(trx, orgId, 0)));
    const result = await verifyTrailLines(trailLines(em, [], { orgId, from: null, to: null }));
    expect(result.problems).toEqual([]);
    expect(result.chains.map((c) => [c.chain, c.rowsChecked, c.lastSeq])).toEqual([
      ['usage', 1_204, 1_204],
      ['audit', 2, 2],
    ]);
    // The rows it linked hash their content inline (format 1); the new row commits to a digest of it (format 2).
    const formats = await knex.raw(
      `select format, count(*)::int as links from audit_chain_links where organization_id = ? and kind = 'usage' group by format order by format`,
      [orgId],
    );
    expect(formats.rows).toEqual([
      { format: 1, links: 1_203 },
      { format: 2, links: 1 },
    ]);
  });
});
