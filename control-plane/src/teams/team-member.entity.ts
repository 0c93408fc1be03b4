import { Entity, ManyToOne, OptionalProps, Unique, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { User } from '../users/user.entity.js';
import { Team } from './team.entity.js';

/** A person in a team, as the organization's SCIM groups put them there. */
@Entity({ tableName: 'team_members' })
@Unique({ properties: ['team', 'user'] })
export class TeamMember extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @ManyToOne({ entity: () => Team, ref: true, deleteRule: 'cascade' })
  team!: Ref<Team>;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;
}
