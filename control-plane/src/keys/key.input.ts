import { IsBoolean, IsOptional, IsUUID, Length, Matches, MaxDate, ArrayMaxSize } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { KeyStatusEnum, type KeyStatus } from './key.type.js';
import { IsFutureDate, IsLabelMap, IsModelGlobList, LATEST_EXPIRY, MAX_GLOBS } from './validators.js';
import { ResponseCacheInput } from '../routing/response-cache.input.js';
import { McpAccessInput } from '../mcp/mcp-server.input.js';

/** Printable text without control characters (names end up in logs, headers and emails). */
const PRINTABLE = /^[^\p{Cc}]+$/u;

@InputType({ description: 'A new Keyward key. The secret is returned once, in the answer.' })
export class CreateKeyInput {
  @Field(() => String)
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => String, { description: 'The person or agent the key is for.' })
  @Length(1, 200)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  ownerLabel!: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team id' })
  teamId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the key stops working; null for no expiry.' })
  @IsOptional()
  @IsFutureDate()
  @MaxDate(LATEST_EXPIRY, { message: 'must be within ten years' })
  expiresAt?: Date | null;

  @Field(() => [String], { defaultValue: [], description: 'Model globs (`gpt-4o*`); empty allows any model.' })
  @IsModelGlobList()
  allowedModels!: string[];

  @Field(() => [ID], { nullable: true, description: 'Credentials the key routes to, in order; empty means any of the organization.' })
  @IsOptional()
  @ArrayMaxSize(MAX_GLOBS)
  @IsUUID('all', { each: true, message: 'must be credential ids' })
  credentialIds?: string[] | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'String labels, e.g. {"env": "prod"}.' })
  @IsOptional()
  @IsLabelMap()
  labels?: Record<string, string> | null;

  @Field(() => ResponseCacheInput, {
    nullable: true,
    description: "Answers this key's identical requests from the response cache (wins over its route's); null: off.",
  })
  cache?: ResponseCacheInput | null;

  @Field(() => [McpAccessInput], { nullable: true, description: 'The MCP servers and tools the key may call; none when omitted.' })
  @IsOptional()
  mcpAccess?: McpAccessInput[] | null;
  @Field(() => Boolean, { nullable: true, description: 'Refuse requests without a valid HDP delegation token (X-HDP-Token).' })
  @IsOptional()
  @IsBoolean()
  requireProvenance?: boolean | null;
}

@InputType({ description: 'Changes to a key; omitted fields stay as they are.' })
export class UpdateKeyInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  ownerLabel?: string;

  @Field(() => ID, { nullable: true, description: 'A team id, or null to take the key out of its team.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team id' })
  teamId?: string | null;

  @Field(() => Date, { nullable: true, description: 'A new expiry; null removes it.' })
  @IsOptional()
  @IsFutureDate()
  @MaxDate(LATEST_EXPIRY, { message: 'must be within ten years' })
  expiresAt?: Date | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @IsModelGlobList()
  allowedModels?: string[];

  @Field(() => [ID], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_GLOBS)
  @IsUUID('all', { each: true, message: 'must be credential ids' })
  credentialIds?: string[];

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Replaces all labels.' })
  @IsOptional()
  @IsLabelMap()
  labels?: Record<string, string>;

  @Field(() => ResponseCacheInput, { nullable: true, description: 'A new response cache setting; null turns the key’s own off.' })
  cache?: ResponseCacheInput | null;

  @Field(() => [McpAccessInput], { nullable: true, description: 'Replaces the MCP servers and tools the key may call.' })
  @IsOptional()
  mcpAccess?: McpAccessInput[];
  @Field(() => Boolean, { nullable: true, description: 'Refuse requests without a valid HDP delegation token (X-HDP-Token).' })
  @IsOptional()
  @IsBoolean()
  requireProvenance?: boolean | null;
}

@InputType({ description: 'Which keys to list.' })
export class KeyFilter {
  @Field(() => KeyStatusEnum, { nullable: true })
  @IsOptional()
  status?: KeyStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'must be a team id' })
  teamId?: string;

  @Field(() => String, { nullable: true, description: 'Matches name, owner or prefix (case-insensitive substring).' })
  @IsOptional()
  @Length(1, 120)
  search?: string;
}
