import { BigIntType, Check, Entity, Index, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/** Why credits moved. */
export type CreditReason = 'top_up' | 'stripe_payment' | 'adjustment' | 'refund';

/**
 * One movement of prepaid credits, positive (bought, granted) or negative (refunded, corrected).
 * Append-only (a database trigger refuses updates); the balance is the sum of the entries.
 * `reference` (a Stripe checkout session, an invoice number) is unique per organization, so a
 * payment delivered twice is credited once.
 */
@Entity({ tableName: 'credit_ledger' })
// Declared here as well as in its migration, so generated migrations never propose dropping it.
@Check({ name: 'credit_ledger_amount_nonzero', expression: 'amount_micros <> 0' })
@Index({ properties: ['organization', 'createdAt'] })
@Unique({
  name: 'credit_ledger_reference_unique',
  expression: 'create unique index "credit_ledger_reference_unique" on "credit_ledger" ("organization_id", "reference") where "reference" is not null',
})
export class CreditLedgerEntry extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'reference' | 'note';

  /** Integer micro-dollars, signed. */
  @Property({ type: new BigIntType('number') })
  amountMicros!: number;

  @Property({ type: 'string', length: 32 })
  reason!: CreditReason;

  /** `user:<id>`, `token:<id>` or `stripe`. */
  @Property({ type: 'string', length: 80 })
  actor!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  reference: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  note: string | null = null;
}
