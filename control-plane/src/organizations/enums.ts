import { registerEnumType } from 'type-graphql';

/**
 * GraphQL enums over the string values stored in the database and used on the wire
 * (`'owner'`, `'free'`, `'closed'`): GraphQL names are upper case, values stay lower case.
 */
export const RoleEnum = {
  OWNER: 'owner',
  ADMIN: 'admin',
  DEVELOPER: 'developer',
  APPROVER: 'approver',
  AUDITOR: 'auditor',
} as const;

registerEnumType(RoleEnum, {
  name: 'Role',
  description: 'What a member or API token may do; see `viewer.permissions` for the exact list.',
});

/** An organization's plan. */
export const PlanEnum = { FREE: 'free', PRO: 'pro', ENTERPRISE: 'enterprise' } as const;

registerEnumType(PlanEnum, { name: 'Plan' });

/** What data-plane nodes do when shared rate-limit counters are unreachable. */
export const LimiterFailModeEnum = { CLOSED: 'closed', OPEN: 'open' } as const;

registerEnumType(LimiterFailModeEnum, {
  name: 'LimiterFailMode',
  description: 'CLOSED refuses calls while counters are unreachable; OPEN lets them through uncounted.',
});

/** Where an effective retention period comes from (`RetentionPeriods` in `retention-periods.ts`). */
export const RetentionSourceEnum = { PLAN: 'plan', ORGANIZATION: 'organization', EVENTS: 'events' } as const;

registerEnumType(RetentionSourceEnum, {
  name: 'RetentionSource',
  description: "PLAN: the organization's plan fixes it; ORGANIZATION: its own setting; EVENTS: content goes with its event (its own period is not shorter).",
});
