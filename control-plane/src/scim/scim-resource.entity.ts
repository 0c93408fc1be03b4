import { Entity, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { User } from '../users/user.entity.js';

/** One email of a SCIM user, as the provider sent it. */
export interface ScimEmail {
  readonly value: string;
  readonly type?: string;
  readonly primary?: boolean;
}

/**
 * A person as an identity provider provisioned them into one organization. It outlives a
 * deactivation (the provider reads it back with `active: false`); the membership is what comes
 * and goes with `active`.
 */
@Entity({ tableName: 'scim_users' })
@Unique({ properties: ['organization', 'userName'] })
@Unique({ properties: ['organization', 'user'] })
export class ScimUser extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'externalId' | 'givenName' | 'familyName' | 'emails';

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  /** Lower-case email the person signs in with. */
  @Property({ type: 'string', length: 254 })
  userName!: string;

  @Property({ type: 'string', length: 300, nullable: true })
  externalId: string | null = null;

  @Property({ type: 'boolean' })
  active!: boolean;

  @Property({ type: 'string', length: 120, nullable: true })
  givenName: string | null = null;

  @Property({ type: 'string', length: 120, nullable: true })
  familyName: string | null = null;

  @Property({ type: 'json' })
  emails: ScimEmail[] = [];
}

/** A provisioned group; its display name is what the SSO settings map to a role. */
@Entity({ tableName: 'scim_groups' })
@Unique({ properties: ['organization', 'displayName'] })
export class ScimGroup extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'externalId' | 'memberIds';

  @Property({ type: 'string', length: 200 })
  displayName!: string;

  @Property({ type: 'string', length: 300, nullable: true })
  externalId: string | null = null;

  /** Ids of the `ScimUser`s in the group. */
  @Property({ type: 'json' })
  memberIds: string[] = [];
}
