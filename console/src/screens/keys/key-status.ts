import type { Tone } from '@/composables/tone';
import type { KeyFieldsFragment } from '@/gql/graphql';

/** How a key's state reads in the list: its status, and whether a rotated-out secret still works. */
export function keyStatus(key: Pick<KeyFieldsFragment, 'status' | 'graceSecrets'>, now: number): { label: string; tone: Tone; rotating: boolean } {
  switch (key.status) {
    case 'ACTIVE':
      return { label: 'Active', tone: 'success', rotating: key.graceSecrets.some((g) => Date.parse(g.graceUntil) > now) };
    case 'EXPIRED':
      return { label: 'Expired', tone: 'default', rotating: false };
    case 'REVOKED':
      return { label: 'Revoked', tone: 'error', rotating: false };
  }
}
