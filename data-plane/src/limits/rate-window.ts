import type { RateWindowStatus } from './types.js';

/**
 * Per-minute rates use GCRA (the generic cell rate algorithm): one "theoretical arrival time"
 * (TAT) per limit, in integer microseconds. Each request pushes the TAT forward by its cost, a
 * request fits while the TAT stays within one minute of now, and the TAT drains back at real
 * time. That is an exact sliding window with one number of state, and the whole minute's
 * allowance is available as a burst. Costs are rounded down to whole microseconds, which lets
 * integer arithmetic (exact in Lua doubles) decide, at the price of at most a microsecond of
 * leniency per request.
 */
const WINDOW_US = 60_000_000;

/** The TAT advance, in microseconds, for `units` requests or tokens under a per-minute limit. */
export function windowCost(units: number, perMinute: number): number {
  const product = units * WINDOW_US;
  return Math.floor(Number.isSafeInteger(product) ? product / perMinute : (units / perMinute) * WINDOW_US);
}

/** The signed TAT correction for a settlement that used `deltaUnits` more (or fewer) tokens. */
export function windowCorrection(deltaUnits: number, perMinute: number): number {
  const cost = windowCost(Math.abs(deltaUnits), perMinute);
  return deltaUnits < 0 ? -cost : cost;
}

/** Header values for a window whose TAT is `usedUs` ahead of now. */
export function windowStatus(limit: number, usedUs: number): RateWindowStatus {
  const free = Math.max(0, WINDOW_US - usedUs);
  return {
    limit,
    remaining: Math.floor((free * limit) / WINDOW_US),
    resetMs: Math.max(0, Math.ceil(usedUs / 1000)),
  };
}

/** Whether a request costing `costUs` fits a window whose TAT is `usedUs` ahead of now. */
export function fitsWindow(usedUs: number, costUs: number): boolean {
  return usedUs + costUs <= WINDOW_US;
}

/**
 * Whole seconds until a refused request of `costUs` would fit, or null when it never can
 * (it alone costs more than a minute).
 */
export function retryAfterSeconds(usedUs: number, costUs: number): number | null {
  if (costUs > WINDOW_US) return null;
  return Math.max(1, Math.ceil((usedUs + costUs - WINDOW_US) / 1_000_000));
}

/** Of two windows, the one a client should be told about: fewer remaining, then later reset. */
export function tighter(a: RateWindowStatus | null, b: RateWindowStatus): RateWindowStatus {
  if (a === null) return b;
  if (b.remaining !== a.remaining) return b.remaining < a.remaining ? b : a;
  return b.resetMs > a.resetMs ? b : a;
}
