import { IsIn, IsOptional, Length, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PlanEnum } from '../organizations/enums.js';
import { CheckoutKindEnum } from './billing.type.js';

const USD = /^\s*\d{1,9}(?:\.\d{1,6})?\s*$/;
const PRINTABLE = /^[^\p{Cc}]*$/u;

@InputType({ description: 'Credits added by hand (a bank transfer, a grant).' })
export class TopUpCreditsInput {
  @Field(() => String, { description: 'US dollars as a decimal string, e.g. "100.00".' })
  @Matches(USD, { message: 'must be a US-dollar amount as a decimal string, e.g. "100.00"' })
  amount!: string;

  @Field(() => String, { nullable: true, description: 'An invoice or transfer number; a second top-up with it is ignored.' })
  @IsOptional()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  reference?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 500)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  note?: string | null;
}

@InputType({ description: 'What to buy through Stripe Checkout.' })
export class CheckoutInput {
  @Field(() => CheckoutKindEnum)
  @IsIn(Object.values(CheckoutKindEnum))
  kind!: 'top_up' | 'subscription';

  @Field(() => String, { nullable: true, description: 'For TOP_UP: US dollars, whole cents, at least "5.00".' })
  @IsOptional()
  @Matches(USD, { message: 'must be a US-dollar amount as a decimal string' })
  amount?: string | null;

  @Field(() => PlanEnum, { nullable: true, description: 'For SUBSCRIPTION: PRO or ENTERPRISE.' })
  @IsOptional()
  @IsIn(['pro', 'enterprise'], { message: 'must be PRO or ENTERPRISE' })
  plan?: 'pro' | 'enterprise' | null;
}
