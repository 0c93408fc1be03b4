import { registerDecorator, type ValidationOptions } from 'class-validator';

const ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** An `Area/Location` name; offsets such as `+05:30`, which `Intl` also takes, are no IANA zone. */
const ZONE_NAME = /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/;

/** Whether `zone` is an IANA time zone name this runtime knows (`Europe/Paris`, `Asia/Kolkata`, `UTC`). */
function isIanaTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string') return false;
  if (ZONES.has(zone)) return true;
  // Intl lists one name per zone, often the older one (Asia/Calcutta, Asia/Katmandu, Europe/Kiev);
  // the current names (Asia/Kolkata, Asia/Kathmandu, Europe/Kyiv) are links it resolves as well.
  if (!ZONE_NAME.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** class-validator decorator for `isIanaTimeZone`. */
export function IsIanaTimeZone(options?: ValidationOptions) {
  return (target: object, propertyName: string) => {
    registerDecorator({
      name: 'isIanaTimeZone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an IANA time zone such as Europe/Paris or UTC`, ...options },
      validator: { validate: (value: unknown) => isIanaTimeZone(value) },
    });
  };
}
