import type { AdmissionRequest, BudgetConfig, RateLimitConfig } from '../types.js';

/** The organization, team and key the limiter tests admit requests for. */
export const ORG = 'org_acme';
export const TEAM = 'team_search';
export const KEY = 'key_crawler';

/** Wednesday 12 March 2025, 15:00 UTC: a plain weekday, away from DST changes and month ends. */
export const T0 = Date.UTC(2025, 2, 12, 15, 0, 0);

/** A request for ORG/TEAM/KEY at T0 with nothing to reserve; override what a test needs. */
export function request(overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    orgId: ORG,
    teamId: TEAM,
    keyId: KEY,
    now: T0,
    budgets: [],
    rateLimits: [],
    reserveMicros: 0,
    reserveTokens: 0,
    timeZone: 'UTC',
    ...overrides,
  };
}

/** A monthly, blocking org budget of one dollar; override what a test needs. */
export function budget(id: string, overrides: Partial<BudgetConfig> = {}): BudgetConfig {
  return {
    id,
    orgId: ORG,
    scope: { kind: 'org', id: ORG },
    period: 'month',
    limitMicros: 1_000_000,
    action: 'block',
    alertThresholds: [],
    ...overrides,
  };
}

/** A rate limit on the org with no dimension set; add the ones a test needs. */
export function rateLimit(id: string, overrides: Partial<RateLimitConfig> = {}): RateLimitConfig {
  return { id, orgId: ORG, scope: { kind: 'org', id: ORG }, ...overrides };
}
