/** Choices for when a key or token stops working. */
export type ExpiryPreset = 'never' | '7d' | '30d' | '90d' | '365d' | 'custom';

const DAY_MS = 86_400_000;
const PRESET_DAYS: Partial<Record<ExpiryPreset, number>> = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 };

/** The options of an expiry picker, in order. */
export const EXPIRY_OPTIONS: readonly { label: string; value: ExpiryPreset }[] = [
  { label: 'Never', value: 'never' },
  { label: 'In 7 days', value: '7d' },
  { label: 'In 30 days', value: '30d' },
  { label: 'In 90 days', value: '90d' },
  { label: 'In 1 year', value: '365d' },
  { label: 'On a date…', value: 'custom' },
];

/**
 * The ISO instant an expiry choice means, or null for "never". `custom` uses the picked
 * timestamp; a custom date in the past is refused rather than silently creating a dead key.
 */
export function expiryFromPreset(preset: ExpiryPreset, now: number, custom: number | null): string | null {
  if (preset === 'never') return null;
  if (preset === 'custom') {
    if (custom === null) throw new Error('Pick the date the key should stop working.');
    if (custom <= now) throw new Error('The expiry date must be in the future.');
    return new Date(custom).toISOString();
  }
  return new Date(now + PRESET_DAYS[preset]! * DAY_MS).toISOString();
}
