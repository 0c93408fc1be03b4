import { diffConfigCollections } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { compileOrg, EMPTY_COLLECTIONS } from './compile.js';
import { keepPublishedSpend } from './compile-limits.js';
import { checkReferences } from './reference-check.js';
import { sqlRows } from './sql.js';

/** Transaction-scoped advisory lock that serializes publishes, so versions commit in order. */
const PUBLISH_LOCK_KEY = 0x4b57_c0f1;
/** Superseded rows kept per organization (for operators looking back); the rest are pruned. */
const ROWS_KEPT_PER_ORG = 10;

/** What a publish did. */
export interface PublishResult {
  /** The organization's config version after the call. */
  readonly version: number;
  /** False when the compiled config equalled the published one, so no version was spent. */
  readonly published: boolean;
}

/**
 * Compiles one organization's config inside the caller's transaction, checks every reference,
 * and records it as the next version. A failed check throws `CONFIG_REJECTED` naming the bad
 * reference, which rolls the caller's change back with it, so the old config keeps serving.
 * Nodes hear about the new version once the caller has committed and called `afterConfigCommit`.
 */
async function publishOrgConfig(services: Services, em: EntityManager, orgId: string, reason: string): Promise<PublishResult> {
  if (!em.isInTransaction()) throw new Error('publishOrgConfig must run inside a transaction');
  // Taken before compiling: under READ COMMITTED the compile then sees every earlier publisher's
  // committed change, so two racing changes cannot both pass a check the pair would fail.
  await sqlRows(em, 'select pg_advisory_xact_lock(?)', [PUBLISH_LOCK_KEY]);
  const compiled = await compileOrg(em, orgId, new Date());
  const problems = checkReferences(orgId, compiled, { allowLoopback: services.config.allowLoopbackUpstreams });
  if (problems.length > 0) {
    throw new AppError('CONFIG_REJECTED', `The change was not applied because the config would be inconsistent: ${problems[0]}`, {
      problems,
    });
  }

  const [latest] = await sqlRows<{ version: string; collections: typeof EMPTY_COLLECTIONS }>(
    em,
    'select version, collections from config_versions where org_id = ? order by version desc limit 1',
    [orgId],
  );
  const previous = latest?.collections ?? EMPTY_COLLECTIONS;
  const collections = { ...compiled.collections, budgets: keepPublishedSpend(previous.budgets ?? {}, compiled.collections.budgets) };
  const diff = diffConfigCollections(previous, collections);
  if (Object.keys(diff.changed).length === 0 && Object.keys(diff.removed).length === 0) {
    return { version: latest ? Number(latest.version) : 0, published: false };
  }

  // The diff is stored with the row, so that the config store sends it to nodes without working it out again.
  const [row] = await sqlRows<{ version: string }>(
    em,
    `insert into config_versions (version, org_id, collections, changes, reason, created_at)
     select coalesce(max(version), 0) + 1, ?, ?::jsonb, ?::jsonb, ?, now() from config_versions
     returning version`,
    [orgId, JSON.stringify(collections), JSON.stringify(diff), reason.slice(0, 200)],
  );
  await sqlRows(
    em,
    `delete from config_versions where org_id = ? and version < (
       select min(version) from (select version from config_versions where org_id = ? order by version desc limit ?) kept)`,
    [orgId, orgId, ROWS_KEPT_PER_ORG],
  );
  return { version: Number(row.version), published: true };
}

/**
 * Tells connected nodes, here and on every other control plane of the database, about versions
 * committed since the last call. Never throws: the change
 * is already committed, and the next publish (or a node's next subscription) catches up.
 */
async function afterConfigCommit(services: Services): Promise<void> {
  try {
    await services.configStore.catchUp();
  } catch (error) {
    services.log.error({ err: error }, 'could not push the new config version to nodes');
  }
  // The other replicas read the new rows themselves and push them to their own nodes.
  await services.clusterBus.announce({ kind: 'config' });
}

/**
 * Runs `work` in a transaction, then compiles, checks and publishes the organization's config
 * in the same transaction, and pushes the result to nodes after the commit. Every mutation
 * that changes what nodes enforce goes through here.
 */
export async function applyConfigChange<T>(
  services: Services,
  em: EntityManager,
  orgId: string,
  reason: string,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const result = await em.transactional(async (tx) => {
    const value = await work(tx as EntityManager);
    await tx.flush();
    await publishOrgConfig(services, tx as EntityManager, orgId, reason);
    return value;
  });
  await afterConfigCommit(services);
  return result;
}

/**
 * Republishes an organization's config after a change made elsewhere (organization settings or
 * plan, team deletion, the organization's creation or deletion). Call it after committing; it
 * throws `CONFIG_REJECTED` when the organization's config no longer checks out. To reject the
 * change itself instead, call `publishOrgConfig` inside the changing transaction and
 * `afterConfigCommit` after it.
 */
export async function requestConfigPublish(services: Services, orgId: string, reason = 'organization changed'): Promise<PublishResult> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const result = await em.transactional((tx) => publishOrgConfig(services, tx as EntityManager, orgId, reason));
  await afterConfigCommit(services);
  return result;
}

/**
 * Start-up: loads the published config and publishes organizations that have never been
 * published (created before this feature, or while a publish failed). A broken organization is
 * logged and skipped so it cannot keep the control plane down.
 */
export async function loadPublishedConfig(services: Services): Promise<void> {
  const store = services.configStore;
  await store.load();
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const missing = await sqlRows<{ id: string }>(
    em,
    'select o.id from organizations o where not exists (select 1 from config_versions v where v.org_id = o.id)',
  );
  for (const { id } of missing) {
    try {
      await requestConfigPublish(services, id, 'first publish');
    } catch (error) {
      services.log.error({ err: error, orgId: id }, 'could not publish an organization at start-up');
    }
  }
}
