import { Entity, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/** A group inside an organization; keys, budgets and policies can belong to a team. */
@Entity({ tableName: 'teams' })
@Unique({ properties: ['organization', 'name'] })
export class Team extends OrgScopedEntity {
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;
}
