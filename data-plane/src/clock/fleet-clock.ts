/**
 * How far a node's time may be from the control plane's `Date` header before the node takes the
 * control plane's: the header counts whole seconds, so a second either side is only its rounding.
 */
const TOLERANCE_MS = 1_000;

/** A difference between the node's time and the control plane's that made the node take the latter. */
export interface ClockCorrection {
  /** Milliseconds added to the node's time (negative: it was ahead). */
  readonly stepMs: number;
}

/**
 * The time a node enforces on: budget periods, reservation leases, rate-limit windows, key and
 * token expiries, approval deadlines, cache lifetimes and event timestamps. It is the monotonic
 * clock (`performance.now`, which an NTP step or a person setting the date does not move), anchored
 * once to the wall clock at start and then to the control plane's time, read from the `Date`
 * header of its answers (heartbeats, event batches). So a node whose wall clock jumps keeps
 * counting on the fleet's time, and every duration (a lease, a window, a hold) lasts its real
 * length whatever the wall clock does. The control plane stays the authority on spend and
 * approvals; this only keeps a node's counters in step with it.
 */
export class FleetClock {
  /** Fleet epoch milliseconds at monotonic zero. */
  private origin: number;

  constructor(
    private readonly monotonic: () => number = () => performance.now(),
    wallNow: number = Date.now(),
  ) {
    this.origin = wallNow - monotonic();
  }

  /** Epoch milliseconds on the fleet's time; never goes back unless the control plane's time did. */
  readonly now = (): number => Math.floor(this.origin + this.monotonic());

  /** The monotonic reading to pass to `observe` as the moment a call to the control plane left. */
  mark(): number {
    return this.monotonic();
  }

  /**
   * Takes the control plane's time from an answer's `Date` header (`sentAt` from `mark` before the
   * call). The control plane's time when the answer arrived is between the header's second and
   * that second's end plus the round trip; a node within a second of that keeps its time, one
   * further off steps to the middle, and the step is returned (null otherwise).
   */
  observe(dateHeader: string | undefined, sentAt: number): ClockCorrection | null {
    const serverMs = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return null;
    const receivedAt = this.monotonic();
    const roundTrip = Math.max(0, receivedAt - sentAt);
    const ours = this.origin + receivedAt;
    if (ours >= serverMs - TOLERANCE_MS && ours <= serverMs + 1_000 + roundTrip + TOLERANCE_MS) return null;
    const theirs = serverMs + 500 + roundTrip / 2;
    this.origin += theirs - ours;
    return { stepMs: Math.round(theirs - ours) };
  }
}

/**
 * The process's one fleet clock (each worker thread has its own, anchored the same way). A module
 * value like `performance` itself: every reader of enforcement time calls `fleetNow`.
 */
export const fleetClock = new FleetClock();

/** Epoch milliseconds on the fleet's time: what enforcement reads instead of `Date.now()`. */
export const fleetNow = (): number => fleetClock.now();
