import { Entity, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * An organization's billing choices: whether prepaid credits are enforced at the gateway and
 * the Stripe customer it pays through. Created on first use. Holds no balance: the balance is
 * always the credit ledger's sum.
 */
@Entity({ tableName: 'billing_accounts' })
@Unique({ properties: ['organization'] })
export class BillingAccount extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'creditsEnabled' | 'creditsStartDay' | 'creditBudgetId' | 'stripeCustomerId';

  /** When true, nodes refuse requests once the credit balance cannot cover them. */
  @Property({ type: 'boolean' })
  creditsEnabled: boolean = false;

  /**
   * First local day (organization time zone) whose usage draws on the credits: the day credits
   * were first enabled. Usage before it was never prepaid.
   */
  @Property({ type: 'string', columnType: 'date', nullable: true })
  creditsStartDay: string | null = null;

  /** Id of the lifetime budget the credit balance is published to nodes as. */
  @Property({ type: 'uuid' })
  creditBudgetId: string = randomUUID();

  @Property({ type: 'text', nullable: true })
  stripeCustomerId: string | null = null;
}
