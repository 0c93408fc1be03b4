import { META_LIMITS, type Decision, type ProviderKind } from '@keyward/shared';
import { IsOptional, IsUUID, Length, ValidateNested } from 'class-validator';
import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { ProviderKindEnum } from '../credentials/credential.type.js';
import { DecisionEnum } from './usage-event.type.js';

/** A class of HTTP status: the hundreds digit of the answer's status. */
const StatusClassEnum = { SUCCESS_2XX: 2, CLIENT_ERROR_4XX: 4, SERVER_ERROR_5XX: 5 } as const;
export type StatusClass = (typeof StatusClassEnum)[keyof typeof StatusClassEnum];
registerEnumType(StatusClassEnum, { name: 'StatusClass', description: 'A class of HTTP status the gateway answered with: 2xx, 4xx or 5xx.' });

@InputType({ description: 'One `x-keyward-meta-<name>` header a request carried, matched exactly (the name case-insensitively).' })
export class MetaFilter {
  @Field(() => String, { description: 'The header name after `x-keyward-meta-`.' })
  @Length(1, META_LIMITS.nameChars)
  name!: string;

  @Field(() => String)
  @Length(0, META_LIMITS.valueChars)
  value!: string;
}

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

  @Field(() => String, { nullable: true, description: 'The request id the gateway answered with (`x-request-id`).' })
  @IsOptional()
  @Length(1, 200)
  requestId?: string | null;

  @Field(() => ProviderKindEnum, { nullable: true, description: 'The provider kind of the credential that served the request.' })
  @IsOptional()
  provider?: ProviderKind | null;

  @Field(() => StatusClassEnum, { nullable: true, description: 'Requests answered with a status of this class.' })
  @IsOptional()
  statusClass?: StatusClass | null;

  @Field(() => String, { nullable: true, description: 'Requests carrying this tag.' })
  @IsOptional()
  @Length(1, 200)
  tag?: string | null;

  @Field(() => MetaFilter, { nullable: true, description: 'Requests that carried this custom metadata header.' })
  @IsOptional()
  @ValidateNested()
  meta?: MetaFilter | null;

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

  @Field(() => String, {
    nullable: true,
    description:
      'Requests whose captured prompt or completion has these words (English stemming; "quoted phrases", `or` and `-word` work as in a web search). Only requests with captured content that retention has not cleared are found.',
  })
  @IsOptional()
  @Length(1, 500)
  search?: string | null;
}
