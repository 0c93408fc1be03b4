import { MAX_REPORTED_CIRCUITS } from '@keyward/shared';
import { ArrayMaxSize, IsIn, IsOptional, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';

/** A node's own id: what it calls itself in heartbeats, config streams and events. */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const NODE_ID_RULE = '1–128 letters, digits or . _ : -';

@InputType({ description: 'A route target whose circuit breaker is not closed on the reporting node.' })
export class NodeCircuitInput {
  @Field(() => String, { description: 'The target: `<credential id>/<provider model>`.' })
  @Length(3, 400)
  target!: string;

  @Field(() => String, { description: '`open` (skipped) or `half_open` (letting one probe through).' })
  @IsIn(['open', 'half_open'], { message: 'must be open or half_open' })
  state!: string;

  @Field(() => Date, { nullable: true, description: 'When an open circuit lets a probe through.' })
  @IsOptional()
  openUntil?: Date | null;
}

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

  @Field(() => [NodeCircuitInput], { nullable: true, description: 'Route targets whose circuit is not closed on the node; omitted: none.' })
  @IsOptional()
  @ArrayMaxSize(MAX_REPORTED_CIRCUITS)
  @ValidateNested({ each: true })
  openCircuits?: NodeCircuitInput[] | null;
}
