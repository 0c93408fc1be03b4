/**
 * Names of the built-in detectors. Personal data first, then credentials; the order is also the
 * tie-break when two detectors claim the same span of text.
 */
export const DETECTOR_NAMES = [
  'email',
  'phone',
  'payment_card',
  'iban',
  'us_ssn',
  'ipv4',
  'ipv6',
  'openai_api_key',
  'anthropic_api_key',
  'aws_access_key_id',
  'aws_secret_access_key',
  'github_token',
  'google_api_key',
  'private_key',
  'jwt',
] as const;

/** One built-in detector. */
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * Named groups a policy may use instead of listing detectors one by one.
 * `all` is every detector; the others split personal data from secrets.
 */
export const DETECTOR_GROUPS = {
  all: DETECTOR_NAMES,
  personal: ['email', 'phone', 'payment_card', 'iban', 'us_ssn', 'ipv4', 'ipv6'],
  credentials: ['openai_api_key', 'anthropic_api_key', 'aws_access_key_id', 'aws_secret_access_key', 'github_token', 'google_api_key', 'private_key', 'jwt'],
  ip_address: ['ipv4', 'ipv6'],
} as const satisfies Record<string, readonly DetectorName[]>;

/** A group name accepted wherever a detector name is. */
export type DetectorGroup = keyof typeof DETECTOR_GROUPS;

/** A detector or a group of detectors, as written in a policy. */
export type DetectorRef = DetectorName | DetectorGroup;

/**
 * Where a detector (or a custom redaction pattern, `custom:NAME`) found something.
 * `start` and `end` are UTF-16 offsets into the scanned text, `end` exclusive.
 */
export interface Finding {
  readonly detector: DetectorName | `custom:${string}`;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

const NAME_SET: ReadonlySet<string> = new Set(DETECTOR_NAMES);

/** True when `name` is a built-in detector. */
export function isDetectorName(name: string): name is DetectorName {
  return NAME_SET.has(name);
}

/** True when `name` is a detector group. */
export function isDetectorGroup(name: string): name is DetectorGroup {
  return Object.hasOwn(DETECTOR_GROUPS, name);
}

/**
 * Expands detector and group names into distinct detector names, in the canonical
 * `DETECTOR_NAMES` order so that equal selections compare equal. Throws on an unknown name;
 * policy validation reports those earlier with a better message.
 */
export function expandDetectorRefs(refs: readonly string[]): DetectorName[] {
  const wanted = new Set<string>();
  for (const ref of refs) {
    if (isDetectorGroup(ref)) for (const name of DETECTOR_GROUPS[ref]) wanted.add(name);
    else if (isDetectorName(ref)) wanted.add(ref);
    else throw new RangeError(`"${ref}" is not a detector or detector group`);
  }
  return DETECTOR_NAMES.filter((name) => wanted.has(name));
}
