import { BigIntType, Entity, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * A budget alert that was sent: one row per budget, period and threshold, so each alert goes out
 * once per period however many control planes see the spend cross it.
 */
@Entity({ tableName: 'budget_alerts' })
@Unique({ properties: ['budgetId', 'periodKey', 'threshold'] })
export class BudgetAlert extends OrgScopedEntity {
  @Property({ type: 'uuid' })
  budgetId!: string;

  @Property({ type: 'string', length: 40 })
  periodKey!: string;

  @Property({ type: 'integer' })
  threshold!: number;

  @Property({ type: new BigIntType('number') })
  spentMicros!: number;

  @Property({ type: new BigIntType('number') })
  limitMicros!: number;
}
