import { Entity, Index, OptionalProps, Property } from '@mikro-orm/core';
import type { LimitScopeRef } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * Requests per minute, tokens per minute and requests in flight allowed to the organization,
 * one team, one key or a key pool. Unset dimensions are unlimited; at least one is set.
 */
@Entity({ tableName: 'rate_limits' })
@Index({ properties: ['organization', 'scopeKind', 'scopeId'] })
export class RateLimit extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'name' | 'requestsPerMinute' | 'tokensPerMinute' | 'concurrentRequests';

  @Property({ type: 'string', length: 120 })
  name: string = '';

  @Property({ type: 'string', length: 8 })
  scopeKind!: LimitScopeRef['kind'];

  @Property({ type: 'uuid' })
  scopeId!: string;

  @Property({ type: 'integer', nullable: true })
  requestsPerMinute: number | null = null;

  @Property({ type: 'integer', nullable: true })
  tokensPerMinute: number | null = null;

  @Property({ type: 'integer', nullable: true })
  concurrentRequests: number | null = null;
}
