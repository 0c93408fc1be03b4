import { validateConfigMessage } from '@keyward/shared';
import type { Logger } from '../observability/logger.js';
import { loadLastKnownGood, saveLastKnownGood } from './last-known-good.js';
import type { ConfigConsumer, ConfigSource } from './source.js';
import { ConfigView, type ViewUpdate } from './view.js';

/** Where the config being served came from. */
export type ConfigOrigin = 'disk' | string;

/** What a `ConfigSync` reads from and reports to. */
export interface ConfigSyncOptions {
  readonly stateDir: string;
  readonly source: ConfigSource;
  readonly logger: Logger;
  /**
   * Called with each new view, after its indexes are built; with `update` when the view was
   * derived from the previous one by a delta, so that what hangs off views can update only what
   * the delta touched.
   */
  readonly onChange?: (view: ConfigView, origin: ConfigOrigin, update: ViewUpdate | null) => void;
}

/**
 * Keeps the node's config current: serves the last known good snapshot from disk at start,
 * then whatever the source delivers. Snapshots replace everything; a delta applies only on top
 * of the exact version it was made from, and any gap asks the source for a fresh snapshot.
 * Every accepted change is written back to disk (latest wins when changes outpace the disk).
 */
export class ConfigSync implements ConfigConsumer {
  private current: ConfigView | null = null;
  private currentOrigin: ConfigOrigin | null = null;
  private readonly log: Logger;
  private pendingSave: ConfigView | null = null;
  private saving: Promise<void> | null = null;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly options: ConfigSyncOptions) {
    this.log = options.logger.child({ component: 'config' });
  }

  /** The config being served, or null before any arrived. */
  get view(): ConfigView | null {
    return this.current;
  }

  get origin(): ConfigOrigin | null {
    return this.currentOrigin;
  }

  /** Loads the last known good snapshot (a bad file is logged and ignored) and starts the source. */
  async start(): Promise<void> {
    try {
      const stored = await loadLastKnownGood(this.options.stateDir);
      if (stored) {
        this.install(new ConfigView(stored), 'disk', false, null);
        this.log.info({ version: stored.version }, 'serving last known good config from disk');
      }
    } catch (err) {
      this.log.error({ reason: (err as Error).message }, 'ignoring unreadable last known good config');
    }
    this.options.source.start(this);
  }

  /** Resolves once some config is being served. */
  whenReady(): Promise<void> {
    if (this.current) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  currentVersion(): number | null {
    return this.current?.version ?? null;
  }

  message(raw: unknown): void {
    let message;
    try {
      message = validateConfigMessage(raw);
    } catch (err) {
      // The old config keeps serving; a skipped delta shows up as a gap on the next one.
      this.log.error({ reason: (err as Error).message }, 'rejected invalid config message');
      return;
    }
    if (message.type === 'snapshot') {
      this.install(new ConfigView(message), this.options.source.name, true, null);
      return;
    }
    const view = this.current;
    if (!view || message.fromVersion !== view.version) {
      this.log.warn(
        { have: view?.version ?? null, fromVersion: message.fromVersion },
        'config delta does not follow the served version; asking for a snapshot',
      );
      this.options.source.resync();
      return;
    }
    if (message.version === view.version) {
      // The control plane confirms the version this node resumed with: nothing to rebuild.
      this.currentOrigin = this.options.source.name;
      this.log.info({ version: view.version }, 'config is current');
      return;
    }
    this.install(view.applying(message), this.options.source.name, true, { previous: view, changes: message });
  }

  /** Waits for the last pending write to disk. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private install(view: ConfigView, origin: ConfigOrigin, persist: boolean, update: ViewUpdate | null): void {
    this.current = view;
    this.currentOrigin = origin;
    this.log.info({ version: view.version, origin, ...view.counts() }, 'config installed');
    this.options.onChange?.(view, origin, update);
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    if (persist) this.save(view);
  }

  /** The view's whole snapshot is built here, when it is written, so a burst of deltas builds only the last. */
  private save(view: ConfigView): void {
    this.pendingSave = view;
    if (this.saving) return;
    this.saving = (async () => {
      // Off the caller's turn: building and writing the whole snapshot walks every key.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.pendingSave) {
        const next = this.pendingSave;
        this.pendingSave = null;
        try {
          await saveLastKnownGood(this.options.stateDir, next.snapshot);
        } catch (err) {
          this.log.error({ reason: (err as Error).message, version: next.version }, 'could not store last known good config');
        }
      }
      this.saving = null;
    })();
  }
}
