import { Entity, Index, ManyToOne, Property, type Ref, type Opt } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/**
 * A signed-in browser. The cookie holds a random token; only its keyed hash is stored, so a
 * database dump does not let anyone ride a session.
 */
@Entity({ tableName: 'sessions' })
export class Session extends BaseEntity {
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  /** `hashSecret(token, keyPepper)`. */
  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Index()
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  /** The organization chosen with `switchOrganization`; used when no `x-keyward-org` header is sent. */
  @ManyToOne({ entity: () => Organization, ref: true, nullable: true, deleteRule: 'set null' })
  activeOrganization: Ref<Organization> | null = null;

  /**
   * Set for a session started by an organization's single sign-on: it acts in that organization
   * only, so an identity provider vouches for nothing outside the organization that configured it.
   */
  @ManyToOne({ entity: () => Organization, ref: true, nullable: true, deleteRule: 'cascade' })
  ssoOrganization: Ref<Organization> | null = null;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Refreshed at most once a minute. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  lastSeenAt: Date = new Date();

  /** When the person last proved who they are here (signing in, `reauthenticate`); exports and deletions need it recent. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  authenticatedAt: Opt<Date> = new Date();

  @Property({ type: 'string', length: 32 })
  ipHash!: string;

  @Property({ type: 'string', length: 300 })
  userAgent!: string;
}
