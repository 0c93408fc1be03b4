import type { Tone } from '@/composables/tone';
import type { KeyFieldsFragment } from '@/gql/graphql';

/**
 * How a key's state reads in the list: its status (frozen or held after an anomaly first), and
 * whether a rotated-out secret still works.
 */
export function keyStatus(
  key: Pick<KeyFieldsFragment, 'status' | 'graceSecrets' | 'frozenAt' | 'heldAt'>,
  now: number,
): { label: string; tone: Tone; rotating: boolean } {
  switch (key.status) {
    case 'ACTIVE':
      if (key.frozenAt) return { label: 'Frozen', tone: 'error', rotating: false };
      if (key.heldAt) return { label: 'Held for approval', tone: 'warning', rotating: false };
      return { label: 'Active', tone: 'success', rotating: key.graceSecrets.some((g) => Date.parse(g.graceUntil) > now) };
    case 'EXPIRED':
      return { label: 'Expired', tone: 'default', rotating: false };
    case 'REVOKED':
      return { label: 'Revoked', tone: 'error', rotating: false };
  }
}

/** What a person can do to a key from its row. */
export type KeyAction = 'anomaly' | 'edit' | 'rotate' | 'expire' | 'revoke';
