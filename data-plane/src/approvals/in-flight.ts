import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApprovalOutcomeMessage } from '@keyward/shared';
import { writeFileAtomic } from '../storage/atomic-write.js';

/** An approval outcome as the wire names it. */
export type ApprovalOutcome = ApprovalOutcomeMessage['outcome'];

const OUTCOMES: ReadonlySet<string> = new Set<ApprovalOutcome>([
  'forwarded',
  'rejected',
  'timed_out_allowed',
  'timed_out_blocked',
  'client_gone',
  'node_restarted',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The file's name inside the state directory. */
export const IN_FLIGHT_FILE = 'approvals.json';

/**
 * The approvals this node asked for and has not yet had an outcome acknowledged for, kept in
 * `${stateDir}/approvals.json` so a restart can tell the control plane what became of them:
 * an id with no outcome was still waiting when the process died (`node_restarted`); an id with
 * an outcome had it decided but not delivered. Each change is written atomically (temp file,
 * fsync, rename) before the caller goes on, so the file never lags what the control plane knows.
 */
export class InFlightApprovals {
  private readonly entries = new Map<string, ApprovalOutcome | null>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  /** Loads the file (missing: empty; unreadable: empty, reported through `onCorrupt`). */
  static async open(stateDir: string, onCorrupt: (reason: string) => void): Promise<InFlightApprovals> {
    const store = new InFlightApprovals(join(stateDir, IN_FLIGHT_FILE));
    let text: string;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onCorrupt((err as Error).message);
      return store;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      const approvals = (parsed as { approvals?: unknown } | null)?.approvals;
      if (approvals === null || typeof approvals !== 'object' || Array.isArray(approvals)) throw new Error('"approvals" must be an object');
      for (const [id, outcome] of Object.entries(approvals)) {
        if (!UUID.test(id)) throw new Error(`"${id}" is not an approval id`);
        if (outcome !== null && !OUTCOMES.has(outcome as string)) throw new Error(`approval ${id} has an unknown outcome`);
        store.entries.set(id, outcome as ApprovalOutcome | null);
      }
    } catch (err) {
      store.entries.clear();
      onCorrupt((err as Error).message);
    }
    return store;
  }

  /** Every id with its recorded outcome (null: still waiting when recorded). */
  list(): [string, ApprovalOutcome | null][] {
    return [...this.entries];
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records `id` as waiting; resolves once that is on disk. */
  add(id: string): Promise<void> {
    this.entries.set(id, null);
    return this.persist();
  }

  /** Records the outcome to deliver for `id`. */
  setOutcome(id: string, outcome: ApprovalOutcome): Promise<void> {
    this.entries.set(id, outcome);
    return this.persist();
  }

  /** Forgets `id` (its outcome was acknowledged). */
  remove(id: string): Promise<void> {
    if (!this.entries.delete(id)) return this.writing;
    return this.persist();
  }

  /** Waits for every write started so far. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    // Writes run one after the other, each with the state as it is when it starts.
    const next = this.writing.then(() => writeFileAtomic(this.path, JSON.stringify({ approvals: Object.fromEntries(this.entries) })));
    this.writing = next.catch(() => undefined);
    return next;
  }
}
