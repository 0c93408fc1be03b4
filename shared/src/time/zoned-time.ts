/**
 * Local time of day and weekday in an IANA time zone, fast enough for every request.
 *
 * `Intl.DateTimeFormat#formatToParts` costs microseconds, so the zone's UTC offset is cached per
 * zone for the current quarter hour of UTC time. Every offset in use is a whole number of
 * quarter hours and transitions happen at whole local minutes that line up with them, so an
 * offset cannot change inside a UTC quarter hour.
 */

const QUARTER_HOUR_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

interface CachedOffset {
  bucket: number;
  offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, CachedOffset>();

/** True when `zone` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`Time zone "${zone}" is not an IANA time zone this runtime knows.`);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of the IANA zone `zone` at instant `ms`, to the second (month from 1). */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What the zone's wall clock shows at `ms`; throws a `RangeError` sentence for an unknown zone. */
export function zonedParts(ms: number, zone: string): ZonedParts {
  const values: ZonedParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(ms)) {
    if (part.type in values) values[part.type as keyof ZonedParts] = Number(part.value);
  }
  return values;
}

function computeOffset(zone: string, ms: number): number {
  const p = zonedParts(ms, zone);
  const localAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return localAsUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The zone's offset from UTC at `ms`, in milliseconds. */
export function zoneOffsetMs(zone: string, ms: number): number {
  const bucket = Math.floor(ms / QUARTER_HOUR_MS);
  let cached = offsets.get(zone);
  if (cached === undefined) {
    cached = { bucket, offsetMs: computeOffset(zone, ms) };
    offsets.set(zone, cached);
  } else if (cached.bucket !== bucket) {
    cached.bucket = bucket;
    cached.offsetMs = computeOffset(zone, ms);
  }
  return cached.offsetMs;
}

/**
 * Local minute of the day (0–1439) and weekday (0 Monday … 6 Sunday) at `ms` in `zone`, packed
 * as `weekday * 1440 + minute` so the hot path allocates nothing.
 */
export function localWeekMinute(zone: string, ms: number): number {
  const local = ms + zoneOffsetMs(zone, ms);
  const days = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - days * DAY_MS) / 60_000);
  const weekday = (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (3 counting from Monday)
  return weekday * 1440 + minute;
}
