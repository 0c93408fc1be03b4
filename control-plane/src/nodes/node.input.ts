import { Length, Matches, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';

/** A node's own id: what it calls itself in heartbeats, config streams and events. */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const NODE_ID_RULE = '1–128 letters, digits or . _ : -';

@InputType({ description: "A data-plane node's periodic report." })
export class NodeHeartbeatInput {
  @Field(() => String)
  @Matches(NODE_ID, { message: `must be ${NODE_ID_RULE}` })
  nodeId!: string;

  @Field(() => Int, { description: 'The config version the node serves.' })
  @Min(0)
  configVersion!: number;

  @Field(() => Int, { description: 'Events waiting in its spool.' })
  @Min(0)
  @Max(2_000_000_000)
  eventBacklog!: number;

  @Field(() => String)
  @Length(1, 255)
  hostname!: string;

  @Field(() => String)
  @Length(1, 64)
  softwareVersion!: string;
}
