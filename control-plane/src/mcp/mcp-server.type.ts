import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { McpAuthKind } from '@keyward/shared';

const McpAuthKindEnum = { BEARER: 'bearer', HEADER: 'header', OAUTH_CLIENT_CREDENTIALS: 'oauth_client_credentials' } as const;
registerEnumType(McpAuthKindEnum, { name: 'McpAuthKind', description: 'How Keyward authenticates to an MCP server.' });

@ObjectType('McpToolSettings', { description: "One tool's rate limit (calls per minute per key) and price per call." })
export class McpToolSettingsType {
  @Field(() => String)
  name!: string;

  @Field(() => Int, { nullable: true })
  callsPerMinute!: number | null;

  @Field(() => Int)
  costMicros!: number;
}

@ObjectType('McpServer', {
  description: 'A remote MCP server served at /mcp/<name>. Its secret is never returned: only its last four characters.',
})
export class McpServerType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  url!: string;

  @Field(() => McpAuthKindEnum)
  authKind!: McpAuthKind;

  @Field(() => String, { nullable: true, description: 'The header an API key is sent in (HEADER only).' })
  headerName!: string | null;

  @Field(() => String, { nullable: true, description: 'The OAuth token endpoint (OAUTH_CLIENT_CREDENTIALS only).' })
  tokenUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'The OAuth client id (OAUTH_CLIENT_CREDENTIALS only).' })
  clientId!: string | null;

  @Field(() => String, { description: 'The last four characters of the secret, to recognize it.' })
  lastFour!: string;

  @Field(() => Int, { description: 'Increases every time the credential is replaced.' })
  secretVersion!: number;

  @Field(() => [McpToolSettingsType], { description: 'Rate limits and prices of single tools.' })
  tools!: McpToolSettingsType[];

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('McpAccess', { description: 'The tools of one MCP server a key may call.' })
export class McpAccessType {
  @Field(() => String)
  server!: string;

  @Field(() => [String], { description: '["*"] for every tool, else tool names.' })
  tools!: string[];
}

@ObjectType('McpAccessGrant', { description: 'MCP servers and tools every key of a team, or of the whole organization, may call, on top of its own.' })
export class McpAccessGrantType {
  @Field(() => ID, { nullable: true, description: 'The team; null for the whole organization.' })
  teamId!: string | null;

  @Field(() => String, { nullable: true })
  teamName!: string | null;

  @Field(() => [McpAccessType])
  access!: McpAccessType[];
}

@ObjectType('McpTool', { description: 'A tool an MCP server offers, as its tools/list answer describes it.' })
export class McpToolType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => GraphQLJSON, { description: "The JSON Schema of the tool's arguments." })
  inputSchema!: Record<string, unknown>;
}
