import type { Role } from '@/gql/graphql';

/** Each role with one line on what it is for, most powerful first (as the control plane orders them). */
export const ROLE_OPTIONS: readonly { value: Role; label: string; description: string }[] = [
  { value: 'OWNER', label: 'Owner', description: 'Everything, including billing.' },
  { value: 'ADMIN', label: 'Admin', description: 'Everything but billing: members, credentials, nodes, settings.' },
  { value: 'DEVELOPER', label: 'Developer', description: 'Creates keys and policies, reads usage.' },
  { value: 'APPROVER', label: 'Approver', description: 'Decides on held requests, reads usage.' },
  { value: 'AUDITOR', label: 'Auditor', description: 'Reads usage and the admin activity log, changes nothing.' },
];

/** "DEVELOPER" → "Developer". */
export function roleLabel(role: string): string {
  return ROLE_OPTIONS.find((r) => r.value === role)?.label ?? role;
}
