import type { Decision } from '@keyward/shared';
import { IsOptional, IsUUID, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { DecisionEnum } from './usage-event.type.js';

@InputType({ description: 'Which live usage events to receive; every field given must match.' })
export class UsageEventStreamFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'must be a key id' })
  keyId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team id' })
  teamId?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact model name.' })
  @IsOptional()
  @Length(1, 200)
  model?: string | null;

  @Field(() => DecisionEnum, { nullable: true })
  @IsOptional()
  decision?: Decision | null;

  @Field(() => ID, { nullable: true, description: 'Requests on which a rule of this policy matched (shadow matches included).' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a policy id' })
  policyId?: string | null;

  @Field(() => String, { nullable: true, description: 'Requests on which a rule with this id matched; with `policyId`, that policy’s rule.' })
  @IsOptional()
  @Length(1, 200)
  ruleId?: string | null;

  @Field(() => String, { nullable: true, description: 'Tool calls through this MCP server (by name).' })
  @IsOptional()
  @Length(1, 63)
  mcpServer?: string | null;

  @Field(() => String, { nullable: true, description: 'Tool calls of this tool (exact name), of any MCP server unless `mcpServer` is given.' })
  @IsOptional()
  @Length(1, 200)
  mcpTool?: string | null;
}

@InputType({ description: 'Which stored usage events to list; every field given must match.' })
export class UsageEventFilter extends UsageEventStreamFilter {
  @Field(() => Date, { nullable: true, description: 'Requests started at or after this time.' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Requests started before this time.' })
  @IsOptional()
  to?: Date | null;
}
