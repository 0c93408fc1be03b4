import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Where a budget or rate limit applies. */
export const LimitScopeKindEnum = { ORG: 'org', TEAM: 'team', KEY: 'key', POOL: 'pool' } as const;
registerEnumType(LimitScopeKindEnum, {
  name: 'LimitScopeKind',
  description: 'ORG: the whole organization; TEAM: one team; KEY: one key; POOL: every key of a key pool together.',
});

/** How often a budget starts over. */
export const BudgetPeriodEnum = { DAY: 'day', WEEK: 'week', MONTH: 'month', LIFETIME: 'lifetime' } as const;
registerEnumType(BudgetPeriodEnum, {
  name: 'BudgetPeriod',
  description: "DAY, WEEK (ISO, from Monday) and MONTH follow the organization's time zone; LIFETIME never starts over.",
});

/** What happens to a request that does not fit. */
export const BudgetActionEnum = { BLOCK: 'block', HOLD: 'hold' } as const;
registerEnumType(BudgetActionEnum, {
  name: 'BudgetAction',
  description: 'BLOCK refuses the request (HTTP 429, insufficient_quota); HOLD asks for approval first (Pro plan).',
});

@ObjectType('LimitScope', { description: 'The organization, team, key or key pool a budget or rate limit applies to.' })
export class LimitScopeType {
  @Field(() => LimitScopeKindEnum)
  kind!: 'org' | 'team' | 'key' | 'pool';

  @Field(() => ID)
  id!: string;
}

@ObjectType('Budget', { description: 'A spending cap for a period. Money is shown as USD decimal strings and as integer micro-dollars.' })
export class BudgetType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => LimitScopeType)
  scope!: LimitScopeType;

  @Field(() => BudgetPeriodEnum)
  period!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => String, { description: 'The cap in US dollars, e.g. "25.00".' })
  limit!: string;

  @Field(() => Float, { description: 'The cap in integer micro-dollars.' })
  limitMicros!: number;

  @Field(() => BudgetActionEnum)
  action!: 'block' | 'hold';

  @Field(() => [Int], { description: 'Percentages of the cap at which an alert is sent, once per period.' })
  alertThresholds!: number[];

  @Field(() => Boolean, { description: 'False when the team or key it names was deleted or revoked: nodes no longer enforce it.' })
  enforced!: boolean;

  @Field(() => String, { description: 'The current period: `2025-03-12`, `2025-W11`, `2025-03` or `lifetime`.' })
  currentPeriod!: string;

  @Field(() => String, { description: 'Spent in the current period, in US dollars, from stored usage events.' })
  spent!: string;

  @Field(() => Float, { description: 'Spent in the current period, in integer micro-dollars.' })
  spentMicros!: number;

  @Field(() => Float, { description: 'Spent as a percentage of the cap (may exceed 100).' })
  percentUsed!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType('RateLimit', { description: 'Request, token and concurrency limits for one scope; null dimensions are unlimited.' })
export class RateLimitType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => LimitScopeType)
  scope!: LimitScopeType;

  @Field(() => Int, { nullable: true })
  requestsPerMinute!: number | null;

  @Field(() => Int, { nullable: true, description: 'Prompt plus output tokens per minute.' })
  tokensPerMinute!: number | null;

  @Field(() => Int, { nullable: true })
  concurrentRequests!: number | null;

  @Field(() => Boolean, { description: 'False when the team or key it names was deleted or revoked.' })
  enforced!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType('BudgetSpend', { description: "Nodes only: a budget's current period and its spend in PostgreSQL." })
export class BudgetSpendType {
  @Field(() => ID, { description: 'The organization the budget belongs to.' })
  orgId!: string;

  @Field(() => ID)
  budgetId!: string;

  @Field(() => String)
  periodKey!: string;

  @Field(() => Float)
  spentMicros!: number;
}
