import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PlanEnum } from '../organizations/enums.js';

/** How usage rows are grouped. */
export const UsageGroupByEnum = { ORG: 'org', TEAM: 'team', KEY: 'key', MODEL: 'model', DAY: 'day' } as const;
registerEnumType(UsageGroupByEnum, { name: 'UsageGroupBy' });

/** What a checkout buys. */
export const CheckoutKindEnum = { TOP_UP: 'top_up', SUBSCRIPTION: 'subscription' } as const;
registerEnumType(CheckoutKindEnum, { name: 'CheckoutKind', description: 'TOP_UP buys prepaid credits; SUBSCRIPTION a paid plan.' });

@ObjectType('PlanTerms', { description: 'What a plan costs and includes.' })
export class PlanTermsType {
  @Field(() => PlanEnum)
  plan!: string;

  @Field(() => String)
  label!: string;

  @Field(() => String, { description: 'Monthly fee in US dollars.' })
  monthlyFee!: string;

  @Field(() => String, { description: 'Model usage included each month, in US dollars at list price.' })
  includedUsage!: string;

  @Field(() => [String], { description: 'approvals, webhooks, slack.' })
  features!: string[];
}

@ObjectType('CreditAccount', { description: 'Prepaid credits. Money as USD decimal strings and integer micro-dollars.' })
export class CreditAccountType {
  @Field(() => Boolean, { description: 'Whether nodes refuse requests the remaining credits cannot cover.' })
  enabled!: boolean;

  @Field(() => String, { description: 'The ledger sum: credits bought or granted, minus refunds and corrections.' })
  balance!: string;

  @Field(() => Float)
  balanceMicros!: number;

  @Field(() => String, { description: 'Usage drawn on the credits since they started.' })
  used!: string;

  @Field(() => Float)
  usedMicros!: number;

  @Field(() => String, { description: 'Balance minus used.' })
  remaining!: string;

  @Field(() => Float)
  remainingMicros!: number;

  @Field(() => String, { nullable: true, description: 'First local day whose usage draws on the credits.' })
  startDay!: string | null;
}

@ObjectType('CreditLedgerEntry', { description: 'One movement of prepaid credits (append-only).' })
export class CreditLedgerEntryType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Signed US-dollar amount.' })
  amount!: string;

  @Field(() => Float)
  amountMicros!: number;

  @Field(() => String, { description: 'top_up, stripe_payment, adjustment or refund.' })
  reason!: string;

  @Field(() => String, { description: '`user:<id>`, `token:<id>` or `stripe`.' })
  actor!: string;

  @Field(() => String, { nullable: true })
  reference!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('UsageRollup', { description: 'Usage summed over one group, from stored events.' })
export class UsageRollupType {
  @Field(() => String, { nullable: true, description: 'The org, team or key id, the model, or the day; null for keys outside any team.' })
  group!: string | null;

  @Field(() => String, { nullable: true, description: "The team's or key's name, when it still exists." })
  label!: string | null;

  @Field(() => Float)
  requests!: number;

  @Field(() => Float)
  inputTokens!: number;

  @Field(() => Float)
  outputTokens!: number;

  @Field(() => Float)
  cachedInputTokens!: number;

  @Field(() => Float, { description: 'Integer micro-dollars.' })
  costMicros!: number;

  @Field(() => String, { description: 'US dollars.' })
  cost!: string;
}

@ObjectType('StatementLine', { description: 'One line of a monthly statement.' })
export class StatementLineType {
  @Field(() => String, { description: 'plan_fee, usage or included_usage.' })
  kind!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => Float)
  requests!: number;

  @Field(() => Float)
  inputTokens!: number;

  @Field(() => Float)
  outputTokens!: number;

  @Field(() => String, { description: 'US dollars (negative for included usage).' })
  amount!: string;

  @Field(() => Float)
  amountMicros!: number;
}

@ObjectType('BillingStatement', { description: "A month's statement; also at GET /v1/billing/statements/YYYY-MM.csv." })
export class BillingStatementType {
  @Field(() => String)
  month!: string;

  @Field(() => PlanEnum, { nullable: true, description: 'The plan the statement is priced with; null on a self-hosted installation, which has no plans.' })
  plan!: string | null;

  @Field(() => [StatementLineType])
  lines!: StatementLineType[];

  @Field(() => String)
  usage!: string;

  @Field(() => String)
  total!: string;

  @Field(() => Float)
  totalMicros!: number;

  @Field(() => String, { description: 'Where the CSV of this statement is downloaded.' })
  csvPath!: string;
}

@ObjectType('CheckoutSession', { description: 'A Stripe Checkout page to send the person to.' })
export class CheckoutSessionType {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  url!: string;
}
