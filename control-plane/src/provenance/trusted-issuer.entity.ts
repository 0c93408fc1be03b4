import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * An Ed25519 public key the organization trusts to sign HDP delegation tokens: an issuer's root
 * signatures (found by `kid`), or, with `agentId`, the hops of that agent. Pushed to every node
 * in the organization's config.
 */
@ObjectType({ description: 'An Ed25519 public key trusted to sign HDP delegation tokens: an issuer key, or one agent’s hop key.' })
@Entity({ tableName: 'hdp_trusted_issuers' })
@Unique({ properties: ['organization', 'kid'] })
export class TrustedIssuer extends OrgScopedEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Field(() => String, { description: 'The key id a token’s root signature names (`signature.kid`).' })
  @Property({ type: 'string', length: 200 })
  kid!: string;

  @Field(() => String, { description: 'Base64url of the 32-byte Ed25519 public key.' })
  @Property({ type: 'string', length: 43 })
  publicKey!: string;

  @Field(() => String, { nullable: true, description: 'Set for an agent’s key: it verifies the hops whose `agent_id` this is, not root signatures.' })
  @Property({ type: 'string', length: 200, nullable: true })
  agentId: string | null = null;

  @Field(() => String)
  @Property({ type: 'string', length: 120 })
  name!: string;
}
