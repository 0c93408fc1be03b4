import { Entity, Enum, OptionalProps, Property, Unique } from '@mikro-orm/core';
import type { Role } from '../auth/roles.js';
import { SealedSecretEntity } from '../db/sealed-secret.entity.js';

/** One identity-provider group and the role its members get. */
export interface GroupRole {
  readonly group: string;
  readonly role: Role;
}

/**
 * An organization's OpenID Connect identity provider (at most one). The client secret is the
 * sealed secret (`ssoSecretAad` as associated data): written, never read back through the API.
 */
@Entity({ tableName: 'sso_connections' })
@Unique({ properties: ['organization'] })
export class SsoConnection extends SealedSecretEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'groupsClaim' | 'groupRoles' | 'requireSso';

  /** The issuer identifier; its `/.well-known/openid-configuration` is discovered at each sign-in. */
  @Property({ type: 'text' })
  issuer!: string;

  @Property({ type: 'string', length: 300 })
  clientId!: string;

  /** Lower-case domains a person's verified email must be in (`corp.example`). */
  @Property({ type: 'json' })
  emailDomains!: string[];

  /** The role of a person who joins through SSO when no group mapping names one. */
  @Enum({ items: ['owner', 'admin', 'developer', 'approver', 'auditor'], type: 'string' })
  defaultRole!: Role;

  /** The ID-token claim listing the person's groups. */
  @Property({ type: 'string', length: 100 })
  groupsClaim: string = 'groups';

  /** Groups (from the claim, or SCIM groups) mapped to roles; the most powerful match wins. */
  @Property({ type: 'json' })
  groupRoles: GroupRole[] = [];

  /** Members sign in through SSO only; owners keep password and code sign-in, audited as break-glass. */
  @Property({ type: 'boolean' })
  requireSso: boolean = false;

  /** Audit actor who last saved it. */
  @Property({ type: 'string', length: 80 })
  updatedBy!: string;
}

/** Associated data the client secret is sealed with, so a ciphertext copied to another row does not open. */
export function ssoSecretAad(orgId: string, connectionId: string): string {
  return `${orgId}:sso:${connectionId}`;
}
