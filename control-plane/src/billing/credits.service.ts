import type { EntityManager } from '@mikro-orm/postgresql';
import { dayText, localDay } from '../budgets/periods.js';
import { parseUsd } from '../budgets/money.js';
import { sumSpend } from '../budgets/spend.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import type { Services } from '../services.js';
import { BillingAccount } from './billing-account.entity.js';
import type { CreditReason } from './credit-ledger.entity.js';

/** Where an organization's prepaid credits stand. Money in integer micro-dollars. */
export interface CreditStanding {
  readonly enabled: boolean;
  /** The ledger's sum: everything bought or granted, minus refunds and corrections. */
  readonly balanceMicros: number;
  /** Usage since credits started, from the spend rollups. */
  readonly usedMicros: number;
  /** What is left for requests: balance minus used (negative when usage ran past it). */
  readonly remainingMicros: number;
  /** First local day whose usage draws on the credits. */
  readonly startDay: string | null;
}

/** One ledger movement to append. */
export interface CreditMovement {
  readonly orgId: string;
  readonly amountMicros: number;
  readonly reason: CreditReason;
  readonly actor: string;
  /** Unique per organization when set: a second movement with it is ignored. */
  readonly reference?: string | null;
  readonly note?: string | null;
}

/** The organization's billing account, created on first use. */
export async function billingAccountOf(em: EntityManager, orgId: string): Promise<BillingAccount> {
  const existing = await em.findOne(BillingAccount, { organization: orgId }, { filters: { tenant: false } });
  if (existing) return existing;
  await sqlRows(
    em,
    `insert into billing_accounts (id, created_at, updated_at, organization_id, credits_enabled, credit_budget_id)
     values (gen_random_uuid(), now(), now(), ?, false, gen_random_uuid()) on conflict (organization_id) do nothing`,
    [orgId],
  );
  return em.findOneOrFail(BillingAccount, { organization: orgId }, { filters: { tenant: false } });
}

/**
 * Appends one movement to the credit ledger inside `em`'s transaction. Returns false when a
 * movement with the same reference was already recorded (a payment delivered twice).
 */
async function appendCredit(em: EntityManager, movement: CreditMovement): Promise<boolean> {
  if (!Number.isSafeInteger(movement.amountMicros) || movement.amountMicros === 0) {
    throw new AppError('BAD_USER_INPUT', 'A credit movement must be a non-zero whole number of micro-dollars.');
  }
  const rows = await sqlRows(
    em,
    `insert into credit_ledger (id, created_at, updated_at, organization_id, amount_micros, reason, actor, reference, note)
     values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?, ?)
     on conflict (organization_id, reference) where reference is not null do nothing returning id`,
    [movement.orgId, movement.amountMicros, movement.reason, movement.actor, movement.reference ?? null, movement.note ?? null],
  );
  return rows.length === 1;
}

/**
 * Adds credits and republishes the organization's config in the same transaction (the credit
 * budget's limit is the ledger's sum). Returns false when the reference was already credited.
 */
export async function addCredits(services: Services, em: EntityManager, movement: CreditMovement): Promise<boolean> {
  return applyConfigChange(services, em, movement.orgId, 'credits changed', async (tx) => {
    await billingAccountOf(tx, movement.orgId);
    return appendCredit(tx, movement);
  });
}

/** Parses a top-up amount: a positive USD decimal string. */
export function parseTopUp(amount: string): number {
  const micros = parseUsd(amount, 'amount');
  if (micros <= 0) throw new AppError('BAD_USER_INPUT', 'amount must be more than zero.', { fields: { amount: ['must be more than zero'] } });
  return micros;
}

/** Turns gateway enforcement of the credit balance on or off and republishes. */
export async function setCreditsEnabled(services: Services, em: EntityManager, orgId: string, enabled: boolean): Promise<void> {
  await applyConfigChange(services, em, orgId, enabled ? 'credits enabled' : 'credits disabled', async (tx) => {
    const account = await billingAccountOf(tx, orgId);
    account.creditsEnabled = enabled;
    if (enabled && account.creditsStartDay === null) {
      const org = await tx.findOneOrFail(Organization, { id: orgId }, { filters: { tenant: false } });
      account.creditsStartDay = localDay(new Date(), org.settings?.timeZone ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone);
    }
  });
}

/** Balance, usage and what is left of an organization's credits. */
export async function creditStanding(em: EntityManager, orgId: string): Promise<CreditStanding> {
  const account = await em.findOne(BillingAccount, { organization: orgId }, { filters: { tenant: false } });
  const [row] = await sqlRows<{ balance: string }>(em, 'select coalesce(sum(amount_micros), 0) as balance from credit_ledger where organization_id = ?', [
    orgId,
  ]);
  const balanceMicros = Number(row.balance);
  const startDay = account?.creditsStartDay ? dayText(account.creditsStartDay as string | Date) : null;
  let usedMicros = 0;
  if (startDay !== null) {
    const spent = await sumSpend(em, [{ id: 'credits', orgId, scope: { kind: 'org', id: orgId }, fromDay: startDay, toDay: '9999-12-31' }]);
    usedMicros = spent.get('credits') ?? 0;
  }
  return { enabled: account?.creditsEnabled ?? false, balanceMicros, usedMicros, remainingMicros: balanceMicros - usedMicros, startDay };
}
