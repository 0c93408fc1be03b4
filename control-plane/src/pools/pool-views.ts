import type { BudgetPeriod } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatUsd } from '../budgets/money.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import type { Key } from '../keys/key.entity.js';
import type { KeyPool, PoolRecipient } from './pool.entity.js';
import type { PoolStatus, RecipientLimits, RecipientStatus } from './pool.type.js';

/** Rates a limit view shows (a rate limit row, a pool's defaults, or nothing). */
interface Rates {
  readonly requestsPerMinute: number | null;
  readonly tokensPerMinute: number | null;
  readonly concurrentRequests: number | null;
}

const NO_RATES: Rates = { requestsPerMinute: null, tokensPerMinute: null, concurrentRequests: null };

/** Where a pool stands at `now`: expired when its time passed, else its stored status. */
export function poolStatusOf(pool: Pick<KeyPool, 'status' | 'expiresAt'>, now: Date): PoolStatus {
  if (pool.expiresAt && pool.expiresAt.getTime() <= now.getTime()) return 'expired';
  return pool.status;
}

/** When a recipient's key stops working: its own expiry or its pool's, whichever comes first. */
export function effectiveExpiry(key: Pick<Key, 'expiresAt'>, pool: Pick<KeyPool, 'expiresAt'>): Date | null {
  const times = [key.expiresAt, pool.expiresAt].filter((t): t is Date => t !== null);
  return times.length === 0 ? null : new Date(Math.min(...times.map((t) => t.getTime())));
}

/** Where a recipient stands at `now`; the first that holds wins: revoked, expired, paused, pending (link not opened), active. */
export function recipientStatusOf(recipient: PoolRecipient, key: Key, pool: KeyPool, now: Date): RecipientStatus {
  if (key.status === 'revoked') return 'revoked';
  const expiry = effectiveExpiry(key, pool);
  if (expiry && expiry.getTime() <= now.getTime()) return 'expired';
  if (recipient.pausedAt || pool.status === 'paused') return 'paused';
  if (!recipient.revealedAt) return 'pending';
  return 'active';
}

/** The API view of a budget amount and rates. */
export function limitsView(budgetPeriod: BudgetPeriod, budgetMicros: number | null, rates: Rates | null): RecipientLimits {
  const micros = budgetMicros === null ? null : Number(budgetMicros);
  const { requestsPerMinute, tokensPerMinute, concurrentRequests } = rates ?? NO_RATES;
  return { budget: micros === null ? null : formatUsd(micros), budgetMicros: micros, budgetPeriod, requestsPerMinute, tokensPerMinute, concurrentRequests };
}

/** The organization's time zone, which budget periods follow. */
export async function orgTimeZone(em: EntityManager, orgId: string): Promise<string> {
  const org = await em.findOneOrFail(Organization, { id: orgId });
  return org.settings?.timeZone ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone;
}
