import { Entity, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from '../keys/key.entity.js';
import { User } from '../users/user.entity.js';

/** One turn of a playground conversation, as the member saw it. */
@ObjectType('PlaygroundMessage', { description: 'One turn of a playground conversation.' })
export class PlaygroundMessage {
  @Field(() => String, { description: '`user` or `assistant`.' })
  role!: 'user' | 'assistant';

  @Field(() => String, { description: 'What was said: the prompt, the streamed answer, or the refusal’s message.' })
  content!: string;

  @Field(() => String, { nullable: true, description: 'An assistant turn’s gateway request id (its usage event’s `requestId`).' })
  requestId!: string | null;

  @Field(() => Int, { nullable: true, description: 'The HTTP status the gateway answered an assistant turn with.' })
  status!: number | null;

  @Field(() => String, { nullable: true, description: 'The gateway’s error code when it refused or failed (e.g. `blocked`, `budget_exceeded`).' })
  errorCode!: string | null;
}

/**
 * A member's own chat with a model through the gateway, as a chosen key. Saved per member (only
 * its author lists, reopens or deletes it) and removed with their account or organization.
 */
@ObjectType('PlaygroundConversation', { description: 'A member’s saved playground chat.' })
@Entity({ tableName: 'playground_conversations' })
@Index({ properties: ['organization', 'user', 'updatedAt'] })
export class PlaygroundConversation extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Date;

  @Field(() => Date)
  override updatedAt!: Date;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  /** The key the member chatted as; null once that key is deleted. */
  @ManyToOne({ entity: () => Key, ref: true, nullable: true, deleteRule: 'set null' })
  key!: Ref<Key> | null;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  model!: string;

  @Field(() => String, { description: 'The first prompt, shortened.' })
  @Property({ type: 'string', length: 120 })
  title!: string;

  @Field(() => [PlaygroundMessage])
  @Property({ type: 'json' })
  messages!: PlaygroundMessage[];
}
