import { Entity, Enum, Property } from '@mikro-orm/core';
import type { Plan } from '@keyward/shared';
import { BaseEntity } from '../db/base.entity.js';

/** Settings an organization changes from the console; stored as one JSON document. */
export interface OrganizationSettings {
  /** IANA time zone for budget periods and time-of-day policy conditions. */
  timeZone: string;
  /** Attach prompt and completion text to events. Off by default. */
  contentCapture: boolean;
  /** Days audit and usage events are kept. */
  retentionDays: number;
  /** What data-plane nodes do when shared rate-limit counters are unreachable. */
  limiterFailMode: 'closed' | 'open';
}

export const DEFAULT_ORGANIZATION_SETTINGS: OrganizationSettings = {
  timeZone: 'UTC',
  contentCapture: false,
  retentionDays: 30,
  limiterFailMode: 'closed',
};

@Entity({ tableName: 'organizations' })
export class Organization extends BaseEntity {
  @Property({ type: 'string', length: 120 })
  name!: string;

  /** URL-safe unique name. */
  @Property({ type: 'string', length: 64, unique: true })
  slug!: string;

  @Enum({ items: ['free', 'pro', 'enterprise'], type: 'string', default: 'free' })
  plan: Plan = 'free';

  @Property({ type: 'json' })
  settings: OrganizationSettings = { ...DEFAULT_ORGANIZATION_SETTINGS };
}
