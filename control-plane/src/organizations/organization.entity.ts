import type { AnomalyResponse } from '@keyward/shared';
import { Entity, Enum, Property, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { Plan } from '@keyward/shared';
import { BaseEntity } from '../db/base.entity.js';
import { OrganizationSettingsType } from './organization-settings.type.js';

/** Settings an organization changes from the console; stored as one JSON document. */
export interface OrganizationSettings {
  /** IANA time zone for budget periods and time-of-day policy conditions. */
  timeZone: string;
  /** Attach prompt and completion text to events. Off by default. */
  contentCapture: boolean;
  /**
   * Days request events and admin-log entries are kept (`events/retention.ts` deletes older
   * ones); null: forever. Free and Pro on a service keep 30 whatever is stored
   * (`retention-periods.ts`).
   */
  retentionDays: number | null;
  /** Days captured content is kept before it is cleared from its event; null: as long as the event. */
  contentRetentionDays: number | null;
  /** What data-plane nodes do when shared rate-limit counters are unreachable. */
  limiterFailMode: 'closed' | 'open';
  /** What an anomalous request of the organization's keys sets off, unless a team or key chooses otherwise; absent: record at 80. */
  anomalyResponse?: AnomalyResponse;
}

/** Settings of a new organization. */
export const DEFAULT_ORGANIZATION_SETTINGS = {
  timeZone: 'UTC',
  contentCapture: false,
  retentionDays: 30,
  contentRetentionDays: 90,
  limiterFailMode: 'closed',
} satisfies OrganizationSettings;

/** A tenant: everything else (members, keys, credentials, events) belongs to one. */
@ObjectType({ description: 'A tenant: members, teams, keys and events all belong to one organization.' })
@Entity({ tableName: 'organizations' })
export class Organization extends BaseEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Field(() => String)
  @Property({ type: 'string', length: 120 })
  name!: string;

  /** URL-safe unique name. */
  @Field(() => String, { description: 'URL-safe unique name.' })
  @Property({ type: 'string', length: 64, unique: true })
  slug!: string;

  /** Exposed through `OrganizationResolver.plan`, which hides it where plans do not apply. */
  @Enum({ items: ['free', 'pro', 'enterprise'], type: 'string', default: 'free' })
  plan: Plan = 'free';

  /** When an owner asked for the organization to be deleted; its keys stopped then. Null: not being deleted. */
  @Field(() => Date, {
    nullable: true,
    description: 'When an owner asked for this organization to be deleted (its keys stopped then); null when it is not being deleted.',
  })
  @Property({ type: 'datetime', nullable: true })
  deletionRequestedAt: Date | null = null;

  /** When the deletion job deletes every row of the organization, unless an owner cancels first. */
  @Field(() => Date, { nullable: true, description: 'When every row of this organization will be deleted, unless an owner cancels first.' })
  @Property({ type: 'datetime', nullable: true })
  deletionDueAt: Date | null = null;

  @Field(() => OrganizationSettingsType)
  @Property({ type: 'json' })
  settings: OrganizationSettings = { ...DEFAULT_ORGANIZATION_SETTINGS };
}
