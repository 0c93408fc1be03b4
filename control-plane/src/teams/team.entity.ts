import type { AnomalyResponse } from '@keyward/shared';
import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../db/base.entity.js';

/** A group inside an organization; keys, budgets and policies can belong to a team. */
@ObjectType({ description: 'A group inside the organization; keys, budgets and policies can belong to a team.' })
@Entity({ tableName: 'teams' })
@Unique({ properties: ['organization', 'name'] })
export class Team extends OrgScopedEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Field(() => String)
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  /** What an anomalous request of the team's keys sets off, unless a key chooses otherwise; null: the organization's choice. */
  @Property({ type: 'json', nullable: true })
  anomalyResponse: AnomalyResponse | null = null;
}
