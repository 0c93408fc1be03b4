import { Entity, Enum, Index, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import type { RouteDocument, ScopeRef } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from '../keys/key.entity.js';
import { Team } from '../teams/team.entity.js';

/**
 * A named route of one organization. Its content lives in append-only `RouteVersion` rows;
 * `currentVersion` names the one nodes follow. Where it applies is a set of `RouteBinding` rows.
 */
@Entity({ tableName: 'routes' })
@Index({ properties: ['organization', 'createdAt'] })
export class Route extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'currentVersion';

  /** The current document's `name`. */
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'integer', default: 1 })
  currentVersion = 1;

  /** Audit actor who created it: `user:<id>` or `token:<id>`. */
  @Property({ type: 'string', length: 80 })
  createdBy!: string;
}

/** One version of a route, never changed once written. */
@Entity({ tableName: 'route_versions' })
@Unique({ properties: ['route', 'version'] })
export class RouteVersion extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'note';

  @ManyToOne({ entity: () => Route, ref: true, deleteRule: 'cascade' })
  route!: Ref<Route>;

  @Property({ type: 'integer' })
  version!: number;

  /** What `validateRouteDocument` accepted. */
  @Property({ type: 'json' })
  document!: RouteDocument;

  /** Audit actor of the change. */
  @Property({ type: 'string', length: 80 })
  changedBy!: string;

  /** Why the change was made, as its author put it. */
  @Property({ type: 'string', length: 500, nullable: true })
  note: string | null = null;
}

/**
 * Where a route applies: the whole organization, one team or one key (the key's own binding
 * wins, then its team's, then the organization's). Team and key bindings hold a real foreign
 * key, so deleting a team removes its bindings with it.
 */
@Entity({ tableName: 'route_bindings' })
@Unique({ properties: ['route', 'scopeKind', 'scopeId'] })
@Index({ properties: ['organization', 'scopeKind', 'scopeId'] })
export class RouteBinding extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'team' | 'key';

  @ManyToOne({ entity: () => Route, ref: true, deleteRule: 'cascade' })
  route!: Ref<Route>;

  @Enum({ items: ['org', 'team', 'key'], type: 'string' })
  scopeKind!: ScopeRef['kind'];

  @Property({ type: 'uuid' })
  scopeId!: string;

  @ManyToOne({ entity: () => Team, ref: true, nullable: true, deleteRule: 'cascade' })
  team: Ref<Team> | null = null;

  @ManyToOne({ entity: () => Key, ref: true, nullable: true, deleteRule: 'cascade' })
  key: Ref<Key> | null = null;

  /** Audit actor who bound it. */
  @Property({ type: 'string', length: 80 })
  boundBy!: string;
}

/** A named role: a system prompt prepended, default parameters, and the route its requests take. */
@Entity({ tableName: 'roles' })
@Unique({ properties: ['organization', 'name'] })
export class RouteRole extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'temperature' | 'maxTokens';

  @Property({ type: 'string', length: 64 })
  name!: string;

  @Property({ type: 'text' })
  systemPrompt!: string;

  @Property({ type: 'double', nullable: true })
  temperature: number | null = null;

  @Property({ type: 'integer', nullable: true })
  maxTokens: number | null = null;

  @ManyToOne({ entity: () => Route, ref: true, deleteRule: 'restrict' })
  route!: Ref<Route>;

  @Property({ type: 'string', length: 80 })
  createdBy!: string;
}
