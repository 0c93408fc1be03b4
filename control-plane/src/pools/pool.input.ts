import { ArrayMaxSize, IsEmail, IsIn, IsInt, IsOptional, IsUUID, Length, Matches, Max, MaxDate, MaxLength, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { BudgetPeriodEnum } from '../budgets/budget.type.js';
import { USD_INPUT, USD_INPUT_MESSAGE as USD_MESSAGE } from '../budgets/money.js';
import { IsFutureDate, IsLabelMap, IsModelGlobList, LATEST_EXPIRY, MAX_GLOBS } from '../keys/validators.js';

/** Printable text without control characters (names end up in emails and headers). */
const PRINTABLE = /^[^\p{Cc}]+$/u;
/** The longest key lifetime a pool may give. */
const MAX_LIFETIME_DAYS = 3650;
/** The most requests, tokens per minute and requests in flight a limit may name. */
const MAX_RATE = 1_000_000_000;

/** Limits a recipient's key gets; every field is optional (in a pool: none; for a recipient: the pool's). */
@InputType({ description: "A recipient's limits. On a pool these are the defaults; on a recipient they override the pool's." })
export class RecipientLimitsInput {
  @Field(() => String, { nullable: true, description: 'Budget per period in US dollars, e.g. "5.00".' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  budget?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE)
  requestsPerMinute?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE)
  tokensPerMinute?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE)
  concurrentRequests?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the key stops working.' })
  @IsOptional()
  @IsFutureDate()
  @MaxDate(LATEST_EXPIRY, { message: 'must be within ten years' })
  expiresAt?: Date | null;
}

@InputType({ description: 'A new key pool.' })
export class CreatePoolInput {
  @Field(() => String)
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Shown to recipients with their key.' })
  @IsOptional()
  @MaxLength(2000)
  note?: string | null;

  @Field(() => [ID], { defaultValue: [], description: 'Credentials the keys route to, in order; empty means any of the organization.' })
  @ArrayMaxSize(MAX_GLOBS)
  @IsUUID('all', { each: true, message: 'must be credential ids' })
  credentialIds!: string[];

  @Field(() => ID, { nullable: true, description: 'A route every key of the pool takes (bound to each key), instead of credentials.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a route id' })
  routeId?: string | null;

  @Field(() => [String], { defaultValue: [], description: 'Model globs the keys may use; empty allows any.' })
  @IsModelGlobList()
  allowedModels!: string[];

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'String labels every key of the pool carries.' })
  @IsOptional()
  @IsLabelMap()
  labels?: Record<string, string> | null;

  @Field(() => BudgetPeriodEnum, { defaultValue: 'month', description: "The period of each recipient's budget." })
  @IsIn(Object.values(BudgetPeriodEnum))
  budgetPeriod!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => RecipientLimitsInput, { nullable: true, description: "Each recipient's limits unless overridden." })
  @IsOptional()
  @ValidateNested()
  limits?: RecipientLimitsInput | null;

  @Field(() => Int, { nullable: true, description: "Each recipient's key expires this many days after it is added (unless a date is set)." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_LIFETIME_DAYS)
  keyLifetimeDays?: number | null;

  @Field(() => String, { nullable: true, description: 'The most all keys of the pool may spend together per cap period, in US dollars.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  cap?: string | null;

  @Field(() => BudgetPeriodEnum, { defaultValue: 'month', description: 'The period of the pool-wide cap.' })
  @IsIn(Object.values(BudgetPeriodEnum))
  capPeriod!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => Date, { nullable: true, description: 'When every key of the pool stops working.' })
  @IsOptional()
  @IsFutureDate()
  @MaxDate(LATEST_EXPIRY, { message: 'must be within ten years' })
  expiresAt?: Date | null;
}

@InputType({ description: 'Changes to a key pool; a field left out stays as it is.' })
export class UpdatePoolInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Shown to recipients with their key; null or empty removes it.' })
  @IsOptional()
  @MaxLength(2000)
  note?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Credentials the keys route to, in order; empty means any of the organization.' })
  @IsOptional()
  @ArrayMaxSize(MAX_GLOBS)
  @IsUUID('all', { each: true, message: 'must be credential ids' })
  credentialIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'The route every key of the pool takes, bound to each key; null unbinds it.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a route id' })
  routeId?: string | null;

  @Field(() => RecipientLimitsInput, {
    nullable: true,
    description: "New default limits (each field given replaces the pool's; expiresAt is the keys' expiry date).",
  })
  @IsOptional()
  @ValidateNested()
  limits?: RecipientLimitsInput | null;

  @Field(() => Boolean, {
    defaultValue: false,
    description: "Also give every recipient whose key is not revoked the pool's budget and rate limits (their overrides are replaced).",
  })
  applyLimitsToRecipients!: boolean;

  @Field(() => String, { nullable: true, description: 'The pool-wide cap in US dollars; null removes it.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  cap?: string | null;

  @Field(() => BudgetPeriodEnum, { nullable: true, description: 'The period of the pool-wide cap.' })
  @IsOptional()
  @IsIn(Object.values(BudgetPeriodEnum))
  capPeriod?: 'day' | 'week' | 'month' | 'lifetime' | null;

  @Field(() => Date, { nullable: true, description: 'When every key of the pool stops working; null: never (an expired pool works again).' })
  @IsOptional()
  @IsFutureDate()
  @MaxDate(LATEST_EXPIRY, { message: 'must be within ten years' })
  expiresAt?: Date | null;
}

@InputType({ description: 'A person to give a key of the pool to.' })
export class AddRecipientInput {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @Field(() => String, { defaultValue: '' })
  @Length(0, 200)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => RecipientLimitsInput, { nullable: true, description: "Overrides of the pool's limits for this recipient." })
  @IsOptional()
  @ValidateNested()
  limits?: RecipientLimitsInput | null;
}
