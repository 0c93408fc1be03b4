import { Entity, Enum, Filter, Index, ManyToOne, Property, type Ref, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity, TENANT_FILTER } from '../db/base.entity.js';
import { Organization } from '../organizations/organization.entity.js';

/** Whether an audited mutation did what was asked. */
export type AuditOutcome = 'success' | 'failure';

/** GraphQL enum of `AuditOutcome`. */
export const AuditOutcomeEnum = { SUCCESS: 'success', FAILURE: 'failure' } as const;
registerEnumType(AuditOutcomeEnum, { name: 'AuditOutcome' });

/**
 * One mutation someone ran: who, what, on which object, when, whether it worked, and the
 * arguments with every secret removed. Rows are only ever inserted: a database trigger refuses
 * updates, and deletes of rows younger than the organization's retention.
 *
 * Not an `OrgScopedEntity` because some mutations happen outside any organization (a failed
 * sign-in); those rows have no organization and no organization can read them. The tenant
 * filter is declared here the same way, so `ctx.em` only ever returns the caller's rows.
 */
@ObjectType({ description: 'One mutation someone ran, with its arguments minus every secret.' })
@Entity({ tableName: 'audit_entries' })
@Index({ properties: ['organization', 'createdAt'] })
@Filter({
  name: TENANT_FILTER,
  default: true,
  cond: (args: { orgId?: string }) => ({ organization: args.orgId ?? '00000000-0000-0000-0000-000000000000' }),
})
export class AuditEntry extends BaseEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date, { description: 'When the mutation ran.' })
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @ManyToOne({ entity: () => Organization, ref: true, nullable: true, deleteRule: 'no action' })
  organization: Ref<Organization> | null = null;

  /** `user:<id>`, `token:<id>`, `node:<id>` or `anonymous`. */
  @Field(() => String, { description: '`user:<id>`, `token:<id>`, `node:<id>` or `anonymous`.' })
  @Property({ type: 'string', length: 80 })
  actor!: string;

  /** The mutation's field name, e.g. `createApiToken`. */
  @Field(() => String, { description: 'The mutation, e.g. `createApiToken`.' })
  @Property({ type: 'string', length: 120 })
  action!: string;

  @Field(() => String, { nullable: true, description: 'Id of the object the mutation was about, when there is one.' })
  @Property({ type: 'string', length: 120, nullable: true })
  targetId: string | null = null;

  @Field(() => AuditOutcomeEnum)
  @Enum({ items: ['success', 'failure'], type: 'string' })
  outcome!: AuditOutcome;

  @Field(() => String, { nullable: true, description: 'The error code of a failed mutation.' })
  @Property({ type: 'string', length: 64, nullable: true })
  errorCode: string | null = null;

  @Field(() => GraphQLJSONObject, { description: 'The arguments, with every secret-bearing field removed.' })
  @Property({ type: 'json' })
  args: Record<string, unknown> = {};

  @Field(() => String, { description: "Salted hash of the caller's address: correlates requests without storing it." })
  @Property({ type: 'string', length: 32 })
  ipHash!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 300 })
  userAgent!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 128 })
  requestId!: string;
}
