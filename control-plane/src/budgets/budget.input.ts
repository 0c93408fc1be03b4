import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { BudgetActionEnum, BudgetPeriodEnum, LimitScopeKindEnum } from './budget.type.js';
import { USD_INPUT, USD_INPUT_MESSAGE as USD_MESSAGE } from './money.js';

const PRINTABLE = /^[^\p{Cc}]*$/u;

@InputType({ description: 'A new budget.' })
export class CreateBudgetInput {
  @Field(() => String, { defaultValue: '' })
  @Length(0, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => LimitScopeKindEnum)
  @IsIn(Object.values(LimitScopeKindEnum))
  scopeKind!: 'org' | 'team' | 'key' | 'pool';

  @Field(() => ID, { nullable: true, description: 'The team, key or key pool id; omit for the organization.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team, key or key pool id' })
  scopeId?: string | null;

  @Field(() => BudgetPeriodEnum)
  @IsIn(Object.values(BudgetPeriodEnum))
  period!: 'day' | 'week' | 'month' | 'lifetime';

  @Field(() => String, { description: 'The cap in US dollars as a decimal string, e.g. "25.00".' })
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  limit!: string;

  @Field(() => BudgetActionEnum, { defaultValue: 'block' })
  @IsIn(Object.values(BudgetActionEnum))
  action!: 'block' | 'hold';

  @Field(() => [Int], { nullable: true, description: 'Alert percentages (1–1000); [50, 80, 100] when omitted.' })
  @IsOptional()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(1000, { each: true })
  alertThresholds?: number[] | null;
}

@InputType({ description: 'Changes to a budget; omitted fields stay as they are. The scope cannot change.' })
export class UpdateBudgetInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name?: string | null;

  @Field(() => BudgetPeriodEnum, { nullable: true })
  @IsOptional()
  @IsIn(Object.values(BudgetPeriodEnum))
  period?: 'day' | 'week' | 'month' | 'lifetime' | null;

  @Field(() => String, { nullable: true, description: 'The cap in US dollars as a decimal string.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  limit?: string | null;

  @Field(() => BudgetActionEnum, { nullable: true })
  @IsOptional()
  @IsIn(Object.values(BudgetActionEnum))
  action?: 'block' | 'hold' | null;

  @Field(() => [Int], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(1000, { each: true })
  alertThresholds?: number[] | null;
}

/** The three dimensions of a rate limit, shared by creating and changing one. */
@InputType('RateLimitDimensionsInput', { description: 'The three dimensions of a rate limit; each is optional.' })
abstract class RateLimitDimensionsInput {
  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  requestsPerMinute?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  tokensPerMinute?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  concurrentRequests?: number | null;
}

@InputType({ description: 'A new rate limit; set at least one of the three dimensions.' })
export class CreateRateLimitInput extends RateLimitDimensionsInput {
  @Field(() => String, { defaultValue: '' })
  @Length(0, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => LimitScopeKindEnum)
  @IsIn(Object.values(LimitScopeKindEnum))
  scopeKind!: 'org' | 'team' | 'key' | 'pool';

  @Field(() => ID, { nullable: true, description: 'The team, key or key pool id; omit for the organization.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team, key or key pool id' })
  scopeId?: string | null;
}

@InputType({ description: 'Changes to a rate limit. Omitted fields stay; an explicit null removes that dimension.' })
export class UpdateRateLimitInput extends RateLimitDimensionsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name?: string | null;
}
