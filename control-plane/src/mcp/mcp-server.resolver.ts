import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateMcpServerInput, UpdateMcpServerInput } from './mcp-server.input.js';
import * as mcpServers from './mcp-server.service.js';
import { McpAccessGrantType, McpServerType, McpToolType } from './mcp-server.type.js';
import { McpAccessInput } from './mcp-server.input.js';
import * as grants from './mcp-access-grant.service.js';

/** MCP servers: upstreams for agents' tool calls, their credentials stored like provider credentials. */
@Resolver(() => McpServerType)
export class McpServerResolver {
  @Authorized('credentials:read')
  @Query(() => [McpServerType], { description: 'MCP servers of the organization, by name. Never includes a secret.' })
  mcpServers(@Ctx() ctx: GraphQLContext): Promise<McpServerType[]> {
    return mcpServers.listMcpServers(ctx);
  }

  @Authorized('credentials:write')
  @Mutation(() => McpServerType, { description: 'Registers a remote MCP server; its credential is envelope-encrypted and write-only.' })
  createMcpServer(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateMcpServerInput) input: CreateMcpServerInput): Promise<McpServerType> {
    return mcpServers.createMcpServer(ctx, input);
  }

  @Authorized('credentials:write')
  @Mutation(() => McpServerType, { description: "Changes an MCP server's name, URL or credential." })
  updateMcpServer(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateMcpServerInput) input: UpdateMcpServerInput,
  ): Promise<McpServerType> {
    return mcpServers.updateMcpServer(ctx, id, input);
  }

  @Authorized('credentials:write')
  @Mutation(() => ID, { description: 'Deletes an MCP server; refused while active keys may call it. Returns its id.' })
  deleteMcpServer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return mcpServers.deleteMcpServer(ctx, id);
  }

  @Authorized('credentials:read')
  @Mutation(() => [McpToolType], {
    description:
      'Connects to an MCP server with its stored credential (public addresses only, as when saved) and lists the tools it offers. Fails with UPSTREAM_UNREACHABLE saying why in one sentence.',
  })
  testMcpServer(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<McpToolType[]> {
    return mcpServers.testMcpServer(ctx, id);
  }

  @Authorized('keys:read')
  @Query(() => [McpAccessGrantType], { description: "MCP access granted to every key of the organization and of each team, the organization's first." })
  mcpAccessGrants(@Ctx() ctx: GraphQLContext): Promise<McpAccessGrantType[]> {
    return grants.listMcpAccessGrants(ctx);
  }

  @Authorized('credentials:write')
  @Mutation(() => McpAccessGrantType, {
    description:
      'Sets the MCP servers and tools every key of a team (teamId) or of the organization (no teamId) may call, on top of its own; an empty list removes the grant.',
  })
  setMcpAccess(
    @Ctx() ctx: GraphQLContext,
    @Arg('teamId', () => ID, { nullable: true }) teamId: string | null | undefined,
    @Arg('access', () => [McpAccessInput]) access: McpAccessInput[],
  ): Promise<McpAccessGrantType> {
    return grants.setMcpAccess(ctx, teamId ?? null, access);
  }
}
