import { registerDecorator, type ValidationOptions } from 'class-validator';

const ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** Whether `zone` is an IANA time zone name this runtime knows (`Europe/Paris`, `UTC`). */
function isIanaTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && ZONES.has(zone);
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
