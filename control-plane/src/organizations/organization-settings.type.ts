import { Field, Int, ObjectType } from 'type-graphql';
import { LimiterFailModeEnum } from './enums.js';

/** The GraphQL view of `Organization.settings` (a JSON column). */
@ObjectType('OrganizationSettings', { description: 'Organization-wide settings.' })
export class OrganizationSettingsType {
  @Field(() => String, { description: 'IANA time zone for budget periods and time-of-day policy conditions.' })
  timeZone!: string;

  @Field(() => Boolean, { description: 'Whether prompt and completion text may be attached to events.' })
  contentCapture!: boolean;

  @Field(() => Int, {
    nullable: true,
    description:
      'Days request events and admin-log entries are kept, as chosen (null: forever); older ones are deleted every hour. `Organization.retention` says what applies.',
  })
  retentionDays!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Days captured content is kept before it is cleared from its event, as chosen; null: as long as the event.',
  })
  contentRetentionDays!: number | null;

  @Field(() => LimiterFailModeEnum)
  limiterFailMode!: 'closed' | 'open';
}
