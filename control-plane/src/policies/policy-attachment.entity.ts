import { Entity, Enum, Index, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import type { PolicyScope } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from '../keys/key.entity.js';
import { Team } from '../teams/team.entity.js';
import { Policy } from './policy.entity.js';

/**
 * Where a policy applies: the whole organization, one team or one key. `scopeId` is the
 * organization's, team's or key's id; team and key attachments also hold a real foreign key,
 * so deleting a team removes its attachments with it instead of leaving a dangling scope.
 */
@Entity({ tableName: 'policy_attachments' })
@Unique({ properties: ['policy', 'scopeKind', 'scopeId'] })
@Index({ properties: ['organization', 'scopeKind', 'scopeId'] })
export class PolicyAttachment extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'team' | 'key';

  @ManyToOne({ entity: () => Policy, ref: true, deleteRule: 'cascade' })
  policy!: Ref<Policy>;

  @Enum({ items: ['org', 'team', 'key'], type: 'string' })
  scopeKind!: PolicyScope;

  @Property({ type: 'uuid' })
  scopeId!: string;

  @ManyToOne({ entity: () => Team, ref: true, nullable: true, deleteRule: 'cascade' })
  team: Ref<Team> | null = null;

  @ManyToOne({ entity: () => Key, ref: true, nullable: true, deleteRule: 'cascade' })
  key: Ref<Key> | null = null;

  /** Audit actor who attached it. */
  @Property({ type: 'string', length: 80 })
  attachedBy!: string;
}
