import { Field, Int, ObjectType } from 'type-graphql';
import { RetentionSourceEnum } from './enums.js';

/** The GraphQL view of `RetentionPeriods`. */
@ObjectType('RetentionPeriods', { description: 'How long the organization keeps its records, as applied (null days: forever), and why.' })
export class RetentionPeriodsType {
  @Field(() => Int, { nullable: true, description: 'Days request events and admin-log entries are kept; null: forever.' })
  eventDays!: number | null;

  @Field(() => RetentionSourceEnum)
  eventSource!: 'plan' | 'organization';

  @Field(() => Int, {
    nullable: true,
    description: 'Days captured prompt and completion text is kept before it is cleared from its event; null: forever.',
  })
  contentDays!: number | null;

  @Field(() => RetentionSourceEnum)
  contentSource!: 'organization' | 'events';

  @Field(() => Boolean, { description: 'Whether a plan fixes the event period (Free and Pro on a service); other periods are refused.' })
  fixedByPlan!: boolean;
}
