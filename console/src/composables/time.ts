import { onScopeDispose, shallowRef, type Ref } from 'vue';

/** A point in time as the API sends it (ISO string) or as the console holds it. */
export type TimeInput = string | number | Date;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** How far ahead of this browser's clock the server's may run before "now" reads as the future. */
const CLOCK_SKEW = 5 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function toMillis(value: TimeInput): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
}

/**
 * A short relative description ("just now", "5 min ago", "in 3 days"); past four weeks it
 * falls back to the date, since "41 days ago" is harder to place than "Oct 12".
 */
export function formatRelative(value: TimeInput, now: number = Date.now(), timeZone?: string): string {
  const diff = now - toMillis(value);
  const abs = Math.abs(diff);
  const say = (n: number, unit: string) => (diff >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  // A few seconds ahead is the server's clock running ahead of this browser's, not the future.
  if (abs < 45 * SECOND) return diff >= -CLOCK_SKEW ? 'just now' : 'in a moment';
  if (abs < 45 * MINUTE) return say(Math.max(1, Math.round(abs / MINUTE)), 'min');
  if (abs < 22 * HOUR) return say(Math.max(1, Math.round(abs / HOUR)), 'h');
  if (abs < 36 * HOUR) return diff >= 0 ? 'yesterday' : 'tomorrow';
  if (abs < 28 * DAY) return say(Math.round(abs / DAY), 'days');
  return formatDate(value, timeZone);
}

/** The full instant with seconds and zone, for tooltips and detail views. */
export function formatExact(value: TimeInput, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-US', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).format(toMillis(value));
}

/** The calendar date ("Nov 3, 2026") in a time zone. */
function formatDate(value: TimeInput, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone }).format(toMillis(value));
}

/** The wall-clock time ("14:05:09") in a time zone, for dense live lists. */
export function formatClock(value: TimeInput, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone }).format(toMillis(value));
}

/** A latency: milliseconds below a second, else seconds with one decimal. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Milliseconds to add to a UTC instant to read the wall clock of `timeZone` at that instant. */
function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a calendar day starts in `timeZone`, `daysAgo` days before the day containing
 * `now`. Days are counted on the calendar, so a DST change does not shift midnight.
 */
export function startOfDay(now: number, timeZone: string, daysAgo = 0): number {
  const wall = new Date(now + zoneOffset(now, timeZone));
  const midnight = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() - daysAgo);
  // Two passes settle the offset when midnight itself is on the other side of a DST change.
  let guess = midnight - zoneOffset(midnight, timeZone);
  guess = midnight - zoneOffset(guess, timeZone);
  return guess;
}

let sharedNow: Ref<number> | null = null;
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * The current time, refreshed every 15 seconds and shared by every relative time on the page
 * (one timer, however many timestamps are shown).
 */
export function useNow(): Ref<number> {
  if (!sharedNow) sharedNow = shallowRef(Date.now());
  const now = sharedNow;
  if (users++ === 0) timer = setInterval(() => (now.value = Date.now()), 15_000);
  onScopeDispose(() => {
    if (--users === 0) clearInterval(timer);
  });
  return now;
}
