import { BigIntType, Entity, Index, OptionalProps, Property } from '@mikro-orm/core';
import type { BudgetPeriod, LimitScopeRef } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';

/** Alert thresholds of a budget created without its own. */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [50, 80, 100];

/**
 * A spending cap on the organization, one team, one key or a key pool, per day, ISO week, month (in the
 * organization's time zone) or for its whole life. The amount is integer micro-dollars. The
 * scope is a plain id, not a foreign key: a budget on a team that was deleted stays listed but
 * is no longer published to nodes.
 */
@Entity({ tableName: 'budgets' })
@Index({ properties: ['organization', 'scopeKind', 'scopeId'] })
export class Budget extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'name' | 'action' | 'alertThresholds';

  @Property({ type: 'string', length: 120 })
  name: string = '';

  @Property({ type: 'string', length: 8 })
  scopeKind!: LimitScopeRef['kind'];

  @Property({ type: 'uuid' })
  scopeId!: string;

  @Property({ type: 'string', length: 16 })
  period!: BudgetPeriod;

  @Property({ type: new BigIntType('number') })
  limitMicros!: number;

  @Property({ type: 'string', length: 8 })
  action: 'block' | 'hold' = 'block';

  @Property({ type: 'json' })
  alertThresholds: number[] = [...DEFAULT_ALERT_THRESHOLDS];
}
