import { Entity, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Team } from '../teams/team.entity.js';

/** An organization setting: the members of the SCIM group named `group` (displayName or externalId) are members of `team`. */
@Entity({ tableName: 'scim_group_teams' })
@Unique({ properties: ['organization', 'group'] })
export class ScimGroupTeam extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @Property({ type: 'string', length: 300 })
  group!: string;

  @ManyToOne({ entity: () => Team, ref: true, deleteRule: 'cascade' })
  team!: Ref<Team>;
}
