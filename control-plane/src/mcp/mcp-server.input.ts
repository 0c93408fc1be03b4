import { IsOptional, IsString, Length, Matches, Min, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { MCP_SERVER_NAME, MCP_TOOL_NAME } from '@keyward/shared';

/** Upstream secrets are single header-safe tokens: printable ASCII without spaces, so none can inject a header line. */
const SECRET = /^[\x21-\x7e]+$/;
const SECRET_RULES = { message: 'must be printable ASCII without spaces' };

@InputType({ description: 'An API key sent in a header of its own, e.g. X-API-Key.' })
export class McpApiKeyHeaderInput {
  @Field(() => String, { description: 'The header name.' })
  @Length(1, 100)
  name!: string;

  @Field(() => String, { description: 'The header value. Write-only: it is never returned.' })
  @IsString()
  @Length(1, 4096)
  @Matches(SECRET, SECRET_RULES)
  value!: string;
}

@InputType({ description: 'OAuth 2.0 client credentials: Keyward asks the token URL for an access token and sends it as a bearer token.' })
export class McpOAuthClientCredentialsInput {
  @Field(() => String, { description: 'The token endpoint: an https URL at a public address.' })
  @Length(1, 2048)
  tokenUrl!: string;

  @Field(() => String)
  @Length(1, 500)
  @Matches(SECRET, SECRET_RULES)
  clientId!: string;

  @Field(() => String, { description: 'Write-only: it is never returned.' })
  @Length(1, 4096)
  @Matches(SECRET, SECRET_RULES)
  clientSecret!: string;

  @Field(() => String, { nullable: true, description: 'The scope to ask for, if the server needs one.' })
  @IsOptional()
  @Length(1, 1000)
  scope?: string | null;
}

@InputType({ description: 'How Keyward authenticates to an MCP server: exactly one of the fields.' })
export class McpServerCredentialInput {
  @Field(() => String, { nullable: true, description: 'Sent as Authorization: Bearer <token>. Write-only.' })
  @IsOptional()
  @Length(1, 4096)
  @Matches(SECRET, SECRET_RULES)
  bearerToken?: string | null;

  @Field(() => McpApiKeyHeaderInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  apiKeyHeader?: McpApiKeyHeaderInput | null;

  @Field(() => McpOAuthClientCredentialsInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  oauthClientCredentials?: McpOAuthClientCredentialsInput | null;
}

const NAME_RULES = { message: 'must be lower-case letters, digits and hyphens, starting with a letter or digit (at most 63)' };

@InputType({ description: "One tool's rate limit and price." })
export class McpToolSettingsInput {
  @Field(() => String, { description: 'The tool, as the server names it.' })
  @Matches(MCP_TOOL_NAME, { message: 'must be a tool name' })
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Calls each key may make per minute; null or absent: no limit.' })
  @IsOptional()
  @Min(1)
  callsPerMinute?: number | null;

  @Field(() => Int, { nullable: true, description: 'What one call costs in micro-dollars, charged to budgets (default 0).' })
  @IsOptional()
  @Min(0)
  costMicros?: number | null;
}

@InputType({ description: 'A remote MCP server (Streamable HTTP) to serve at /mcp/<name>.' })
export class CreateMcpServerInput {
  @Field(() => String, { description: 'Lower-case letters, digits and hyphens; the path /mcp/<name> and the tool prefix <name>__.' })
  @Matches(MCP_SERVER_NAME, NAME_RULES)
  name!: string;

  @Field(() => String, { description: "The server's MCP endpoint: an https URL at a public address." })
  @Length(1, 2048)
  url!: string;

  @Field(() => McpServerCredentialInput)
  @ValidateNested()
  credential!: McpServerCredentialInput;

  @Field(() => [McpToolSettingsInput], { nullable: true, description: 'Rate limits and prices of single tools.' })
  @IsOptional()
  @ValidateNested({ each: true })
  tools?: McpToolSettingsInput[] | null;
}

@InputType({ description: 'Changes to an MCP server; omitted fields stay as they are.' })
export class UpdateMcpServerInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(MCP_SERVER_NAME, NAME_RULES)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 2048)
  url?: string;

  @Field(() => McpServerCredentialInput, { nullable: true, description: 'A new credential, replacing the old one at once on every node.' })
  @IsOptional()
  @ValidateNested()
  credential?: McpServerCredentialInput;

  @Field(() => [McpToolSettingsInput], { nullable: true, description: 'Rate limits and prices of single tools, replacing the previous list.' })
  @IsOptional()
  @ValidateNested({ each: true })
  tools?: McpToolSettingsInput[] | null;
}

@InputType({ description: 'The tools of one MCP server a key may call.' })
export class McpAccessInput {
  @Field(() => String, { description: 'The MCP server name.' })
  @Matches(MCP_SERVER_NAME, NAME_RULES)
  server!: string;

  @Field(() => [String], { description: '["*"] for every tool, else tool names.' })
  @Matches(new RegExp(`${MCP_TOOL_NAME.source}|^\\*$`), { each: true, message: 'must be "*" or tool names' })
  tools!: string[];
}
