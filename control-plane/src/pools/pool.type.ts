import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BudgetPeriodEnum } from '../budgets/budget.type.js';

/** Where a pool stands: expiry is derived from its time. */
export type PoolStatus = 'active' | 'paused' | 'expired';

const PoolStatusEnum = { ACTIVE: 'active', PAUSED: 'paused', EXPIRED: 'expired' } as const;
registerEnumType(PoolStatusEnum, { name: 'PoolStatus', description: "ACTIVE pools' keys work; PAUSED and EXPIRED pools stop every key in them." });

/** Where a recipient stands, first match wins: revoked, expired, paused, link not opened yet, active. */
export type RecipientStatus = 'revoked' | 'expired' | 'paused' | 'pending' | 'active';

const RecipientStatusEnum = { PENDING: 'pending', ACTIVE: 'active', PAUSED: 'paused', EXPIRED: 'expired', REVOKED: 'revoked' } as const;
registerEnumType(RecipientStatusEnum, {
  name: 'RecipientStatus',
  description:
    'PENDING: the delivery link was not opened yet; ACTIVE: the key works; PAUSED: the recipient or the pool is paused; EXPIRED: the key or the pool expired; REVOKED.',
});

@ObjectType({ description: "A recipient's limits, or a pool's defaults. Money is a US-dollar string and integer micro-dollars." })
export class RecipientLimits {
  @Field(() => String, { nullable: true, description: 'Budget per period, e.g. "5.00"; null: none.' })
  budget!: string | null;

  @Field(() => Float, { nullable: true })
  budgetMicros!: number | null;

  @Field(() => BudgetPeriodEnum)
  budgetPeriod!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => Int, { nullable: true })
  requestsPerMinute!: number | null;

  @Field(() => Int, { nullable: true })
  tokensPerMinute!: number | null;

  @Field(() => Int, { nullable: true })
  concurrentRequests!: number | null;
}

@ObjectType({ description: 'The pool-wide cap: what all keys of the pool may spend together per period.' })
export class PoolCap {
  @Field(() => ID, { description: 'The budget that enforces it (scope POOL).' })
  budgetId!: string;

  @Field(() => String)
  limit!: string;

  @Field(() => Float)
  limitMicros!: number;

  @Field(() => BudgetPeriodEnum)
  period!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => String, { description: 'Spent by the whole pool in the current period.' })
  spent!: string;

  @Field(() => Float)
  spentMicros!: number;
}

@ObjectType('KeyPool', { description: 'Limited, expiring keys handed to people by email.' })
export class PoolType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Shown to recipients with their key.' })
  note!: string | null;

  @Field(() => [ID])
  credentialIds!: string[];

  @Field(() => [String])
  allowedModels!: string[];

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => ID, { nullable: true, description: 'The route every key of the pool takes, instead of credentials; null: none.' })
  routeId!: string | null;

  @Field(() => RecipientLimits, { description: "Each recipient's limits unless overridden." })
  limits!: RecipientLimits;

  @Field(() => Date, { nullable: true })
  keyExpiresAt!: Date | null;

  @Field(() => Int, { nullable: true })
  keyLifetimeDays!: number | null;

  @Field(() => PoolCap, { nullable: true })
  cap!: PoolCap | null;

  @Field(() => PoolStatusEnum)
  status!: PoolStatus;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Int)
  recipientCount!: number;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('PoolRecipient', { description: "A person a pool gave a key to, with the key's limits and this period's spend." })
export class RecipientType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  poolId!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  keyId!: string;

  @Field(() => String, { nullable: true, description: "The key's prefix once the recipient has seen it; null before." })
  keyPrefix!: string | null;

  @Field(() => RecipientStatusEnum)
  status!: RecipientStatus;

  @Field(() => RecipientLimits)
  limits!: RecipientLimits;

  @Field(() => Date, { nullable: true, description: 'When the key stops working (its own expiry or the pool’s, whichever is first).' })
  expiresAt!: Date | null;

  @Field(() => String, { description: 'Spent in the current budget period.' })
  spent!: string;

  @Field(() => Float)
  spentMicros!: number;

  @Field(() => String, { nullable: true, description: 'What is left of the budget this period; null without a budget.' })
  remaining!: string | null;

  @Field(() => Float, { nullable: true })
  remainingMicros!: number | null;

  @Field(() => String, { description: 'The current budget period: `2025-03-12`, `2025-W11`, `2025-03` or `lifetime`.' })
  currentPeriod!: string;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  linkSentAt!: Date | null;

  @Field(() => Date, { nullable: true })
  linkExpiresAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revealedAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType({ description: 'One line of a recipients CSV that cannot be imported.' })
export class CsvLineError {
  @Field(() => Int, { description: 'The line number, from 1.' })
  line!: number;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'A recipient a CSV line would add.' })
export class CsvRecipientPreview {
  @Field(() => Int)
  line!: number;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => RecipientLimits)
  limits!: RecipientLimits;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;
}

@ObjectType({ description: 'What importing a CSV would do: the recipients it adds, or the lines that stop it.' })
export class CsvPreview {
  @Field(() => [CsvRecipientPreview])
  recipients!: CsvRecipientPreview[];

  @Field(() => [CsvLineError], { description: 'When not empty, importing adds nobody.' })
  errors!: CsvLineError[];
}

@ObjectType({ description: 'A key revealed through its delivery link: shown this once.' })
export class RevealedPoolKey {
  @Field(() => String, { description: 'The key secret (`kw_…`). Store it now: the link does not show it again.' })
  secret!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  poolName!: string;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => [String], { description: 'Models the key may use; empty allows any.' })
  allowedModels!: string[];

  @Field(() => RecipientLimits)
  limits!: RecipientLimits;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Where to send calls with the key (the gateway address); null when not configured.' })
  gatewayUrl!: string | null;
}

@ObjectType({ description: "A key a pool gave the signed-in recipient: the owner's view of it, and what the pool says." })
export class MyPoolKey {
  @Field(() => RecipientType)
  recipient!: RecipientType;

  @Field(() => String)
  poolName!: string;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String)
  organizationName!: string;
}

@ObjectType({ description: "The recipient's key with its new secret, shown this once." })
export class RotatedPoolKey {
  @Field(() => String, { description: 'The new secret (`kw_…`); the previous one stopped working.' })
  secret!: string;

  @Field(() => MyPoolKey)
  key!: MyPoolKey;
}
