import { zonedParts } from '../time/zoned-time.js';
import type { BudgetPeriod } from '../wire/config.js';

/** One budget period: its key (`2025-03-09`, `2025-W10`, `2025-03`, `lifetime`) and its instants. */
export interface PeriodWindow {
  readonly key: string;
  /** Epoch ms of the first instant of the period. */
  readonly startMs: number;
  /** Epoch ms of the first instant of the next period (`Infinity` for lifetime). */
  readonly endMs: number;
}

const DAY_MS = 86_400_000;
/** No zone is further from UTC than this, so a local date ends at most this long after UTC's. */
const MAX_ZONE_OFFSET_MS = 14 * 3_600_000;

const LIFETIME: PeriodWindow = Object.freeze({ key: 'lifetime', startMs: -Infinity, endMs: Infinity });

interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const windows = new Map<string, PeriodWindow>();

/**
 * The period of `period` that contains `now` in the IANA zone `timeZone`. Days start at local
 * midnight, or where a DST jump skips midnight, at the first instant of the local date.
 * Windows are cached per zone and period until `now` leaves them, so the hot path does no
 * calendar arithmetic.
 */
export function periodWindow(period: BudgetPeriod, now: number, timeZone: string): PeriodWindow {
  if (period === 'lifetime') return LIFETIME;
  const cacheKey = `${timeZone}\u0000${period}`;
  const cached = windows.get(cacheKey);
  if (cached !== undefined && now >= cached.startMs && now < cached.endMs) return cached;
  const window = computeWindow(period, now, timeZone);
  windows.set(cacheKey, window);
  return window;
}

/**
 * A time by which the period named `periodKey` has ended in every time zone: the Redis backend
 * uses it for key expiry when it is told only a period's key (by `reconcile`).
 */
export function periodKeyEndBound(periodKey: string): number {
  if (periodKey === 'lifetime') return Infinity;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(periodKey);
  if (match) return Date.UTC(+match[1], +match[2] - 1, +match[3] + 1) + MAX_ZONE_OFFSET_MS;
  match = /^(\d{4})-W(\d{2})$/.exec(periodKey);
  if (match) return isoWeekMonday(+match[1], +match[2]) + 7 * DAY_MS + MAX_ZONE_OFFSET_MS;
  match = /^(\d{4})-(\d{2})$/.exec(periodKey);
  if (match) return Date.UTC(+match[1], +match[2], 1) + MAX_ZONE_OFFSET_MS;
  throw new RangeError(`Budget period key "${periodKey}" is not a day, ISO week, month or "lifetime".`);
}

/** An instant as the zone's wall clock shows it, to the minute: `2026-12-07 00:00`. */
export function localMinute(ms: number, timeZone: string): string {
  const { year, month, day, hour, minute } = zonedParts(ms, timeZone);
  return `${year}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}`;
}

function computeWindow(period: Exclude<BudgetPeriod, 'lifetime'>, now: number, timeZone: string): PeriodWindow {
  const first = windowForDate(period, zonedDate(now, timeZone), timeZone);
  // Where clocks fall back across midnight, the local date briefly repeats the previous day
  // after the next day has begun; moving on keeps every instant in exactly one window.
  if (now >= first.endMs) return windowForDate(period, zonedDate(first.endMs, timeZone), timeZone);
  return first;
}

function windowForDate(period: 'day' | 'week' | 'month', date: CivilDate, timeZone: string): PeriodWindow {
  if (period === 'day') {
    return {
      key: `${date.year}-${pad(date.month)}-${pad(date.day)}`,
      startMs: startOfZonedDay(date, timeZone),
      endMs: startOfZonedDay(addDays(date, 1), timeZone),
    };
  }
  if (period === 'week') {
    const monday = addDays(date, -isoWeekday(date));
    const week = isoWeek(date);
    return {
      key: `${week.year}-W${pad(week.week)}`,
      startMs: startOfZonedDay(monday, timeZone),
      endMs: startOfZonedDay(addDays(monday, 7), timeZone),
    };
  }
  const next = date.month === 12 ? { year: date.year + 1, month: 1, day: 1 } : { year: date.year, month: date.month + 1, day: 1 };
  return {
    key: `${date.year}-${pad(date.month)}`,
    startMs: startOfZonedDay({ year: date.year, month: date.month, day: 1 }, timeZone),
    endMs: startOfZonedDay(next, timeZone),
  };
}

/**
 * The first instant whose local date in `timeZone` is `date`. Local midnight is `wall - offset`
 * for the offset in force then; trying the offsets around it covers both DST directions, and a
 * midnight skipped by a jump forward resolves to the jump itself (where the day begins).
 */
function startOfZonedDay(date: CivilDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  const target = civilOrdinal(date);
  const firstOffset = zoneOffset(wall, timeZone);
  const candidates = [wall - firstOffset, wall - zoneOffset(wall - firstOffset, timeZone)];
  let start = Infinity;
  for (const candidate of candidates) {
    if (candidate < start && civilOrdinal(zonedDate(candidate, timeZone)) >= target) start = candidate;
  }
  return Number.isFinite(start) ? start : candidates[0];
}

/** Milliseconds the zone's wall clock is ahead of UTC at instant `ms`. */
function zoneOffset(ms: number, timeZone: string): number {
  const seconds = Math.floor(ms / 1000) * 1000;
  const parts = zonedParts(seconds, timeZone);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - seconds;
}

function zonedDate(ms: number, timeZone: string): CivilDate {
  const { year, month, day } = zonedParts(ms, timeZone);
  return { year, month, day };
}

function isoWeekday(date: CivilDate): number {
  return (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7;
}

function isoWeek(date: CivilDate): { year: number; week: number } {
  const thursday = Date.UTC(date.year, date.month - 1, date.day) + (3 - isoWeekday(date)) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  return { year, week: 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) };
}

function isoWeekMonday(year: number, week: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - jan4Weekday * DAY_MS + (week - 1) * 7 * DAY_MS;
}

function addDays(date: CivilDate, days: number): CivilDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

function civilOrdinal(date: CivilDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
