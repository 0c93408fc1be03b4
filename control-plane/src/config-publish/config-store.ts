import {
  COLLECTION_NAMES,
  diffConfigCollections,
  mergeConfigChanges,
  validateConfigMessage,
  type CollectionName,
  type ConfigCollections,
  type ConfigDelta,
  type ConfigSnapshot,
  type ConfigChanges,
} from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { EMPTY_COLLECTIONS } from './compile.js';
import { sqlRows } from './sql.js';

/**
 * One committed publish, as handed to config streams. Its messages are built and checked once,
 * here, and every stream sends the same objects.
 */
export interface ConfigUpdate extends ConfigChanges {
  readonly orgId: string;
  readonly fromVersion: number;
  readonly version: number;
  /** The delta for nodes that serve the organization (its own and global ones). */
  readonly delta: ConfigDelta;
  /** The empty delta for nodes scoped to another organization, which still follow the version. */
  readonly elsewhere: ConfigDelta;
  /** Why `delta` fails the wire validator nodes run (null: it passes); streams close rather than send it. */
  readonly invalid: string | null;
}

/** Updates kept so that a reconnecting node can be sent what it missed instead of everything. */
const HISTORY_LIMIT = 1024;

interface VersionRow {
  version: string | number;
  org_id: string;
  collections: ConfigCollections;
  /** The diff from the organization's previous row, as its publisher worked it out (null on older rows). */
  changes: ConfigChanges | null;
}

/**
 * The published config as this process serves it: the current version and every organization's
 * compiled collections, mirrored from `config_versions`. Publishers commit rows under a lock, so
 * versions appear in the table in order and without gaps; `catchUp` applies new rows one at a
 * time and tells every listener, which is how a delta reaches nodes right after a commit.
 */
export class ConfigStore {
  private current = 0;
  private readonly orgs = new Map<string, ConfigCollections>();
  private readonly listeners = new Set<(update: ConfigUpdate) => void>();
  /** The latest applied updates, oldest first, without gaps: `history[i + 1].fromVersion === history[i].version`. */
  private readonly history: ConfigUpdate[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly fork: () => EntityManager,
    private readonly log: Logger,
  ) {}

  /** The newest version this process has applied. */
  get version(): number {
    return this.current;
  }

  /** An organization's current compiled collections (empty when it has none). */
  collectionsOf(orgId: string): ConfigCollections {
    return this.orgs.get(orgId) ?? EMPTY_COLLECTIONS;
  }

  /** A full snapshot of every organization (`scope` null) or of one organization. */
  snapshot(scope: string | null): ConfigSnapshot {
    const merged: Record<CollectionName, Record<string, unknown>> = Object.fromEntries(COLLECTION_NAMES.map((name) => [name, {}])) as Record<
      CollectionName,
      Record<string, unknown>
    >;
    const parts = scope === null ? [...this.orgs.values()] : [this.collectionsOf(scope)];
    for (const part of parts) {
      // Collections added to the contract later are absent from configs stored before them.
      for (const name of COLLECTION_NAMES) Object.assign(merged[name], part[name] ?? {});
    }
    return {
      type: 'snapshot',
      version: this.current,
      generatedAt: new Date().toISOString(),
      ...merged,
    } as ConfigSnapshot;
  }

  /**
   * What changed for `scope` (every organization when null) since `version`, or null when this
   * process no longer holds every update since then (it restarted, or they were too many): the
   * node then needs a snapshot. Empty changes when `version` is the current one.
   */
  changesSince(version: number, scope: string | null): ConfigChanges | null {
    if (version > this.current) return null;
    if (version === this.current) return { changed: {}, removed: {} };
    const start = this.history.findIndex((update) => update.fromVersion === version);
    if (start === -1) return null;
    let changes: ConfigChanges = { changed: {}, removed: {} };
    for (const update of this.history.slice(start)) {
      if (scope === null || update.orgId === scope) changes = mergeConfigChanges(changes, update);
    }
    return changes;
  }

  /** Calls `listener` for every update applied from now on; returns the unsubscribe function. */
  subscribe(listener: (update: ConfigUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces the state with each organization's latest row (start-up). */
  async load(): Promise<void> {
    await this.serialize(async () => {
      const em = this.fork();
      const rows = await sqlRows<VersionRow>(em, 'select distinct on (org_id) version, org_id, collections from config_versions order by org_id, version desc');
      this.orgs.clear();
      this.history.length = 0;
      let max = 0;
      for (const row of rows) {
        // An organization's last row is an empty tombstone once it has been deleted.
        if (!isEmpty(row.collections)) this.orgs.set(row.org_id, row.collections);
        max = Math.max(max, Number(row.version));
      }
      this.current = max;
      this.log.info({ version: max, organizations: rows.length }, 'config store loaded');
    });
  }

  /**
   * Applies every committed row newer than the current version, in order, and notifies
   * listeners. Calls are serialized, so concurrent publishers never reorder deltas.
   */
  catchUp(): Promise<void> {
    return this.serialize(async () => {
      const em = this.fork();
      const rows = await sqlRows<VersionRow>(em, 'select version, org_id, collections, changes from config_versions where version > ? order by version', [
        this.current,
      ]);
      for (const row of rows) this.apply(Number(row.version), row.org_id, row.collections, row.changes);
    });
  }

  /**
   * `stored` is the publisher's diff against the organization's previous row, which is what this
   * store holds for it: rows are applied in order without gaps, so it is used as is and the diff
   * is never worked out twice. Rows from before it was stored are diffed here.
   */
  private apply(version: number, orgId: string, next: ConfigCollections, stored: ConfigChanges | null): void {
    const changes = stored ?? diffConfigCollections(this.collectionsOf(orgId), next);
    const update = updateOf(orgId, this.current, version, changes);
    if (isEmpty(next)) this.orgs.delete(orgId);
    else this.orgs.set(orgId, next);
    this.current = version;
    this.history.push(update);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (error) {
        this.log.error({ err: error, version }, 'config listener failed');
      }
    }
  }

  private serialize(work: () => Promise<void>): Promise<void> {
    const run = this.pending.then(work);
    // A failed catch-up must not wedge later ones; the next call simply retries from `current`.
    this.pending = run.catch(() => undefined);
    return run;
  }
}

function updateOf(orgId: string, fromVersion: number, version: number, changes: ConfigChanges): ConfigUpdate {
  const generatedAt = new Date().toISOString();
  const delta: ConfigDelta = Object.freeze({ type: 'delta', fromVersion, version, generatedAt, changed: changes.changed, removed: changes.removed });
  let invalid: string | null = null;
  try {
    validateConfigMessage(delta);
  } catch (error) {
    invalid = (error as Error).message;
  }
  const elsewhere: ConfigDelta = Object.freeze({ type: 'delta', fromVersion, version, generatedAt, changed: {}, removed: {} });
  return { orgId, fromVersion, version, changed: changes.changed, removed: changes.removed, delta, elsewhere, invalid };
}

function isEmpty(collections: ConfigCollections): boolean {
  return (['orgs', 'keys', 'credentials'] as CollectionName[]).every((name) => Object.keys(collections[name]).length === 0);
}
