import { validateMcpAccess, WireError, type McpAccess } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import type { McpAccessInput } from './mcp-server.input.js';
import { McpServer } from './mcp-server.entity.js';

/** A key's MCP access list as stored: checked by the wire rules, every server one of the organization's. */
export async function checkedMcpAccess(em: EntityManager, input: readonly McpAccessInput[]): Promise<McpAccess[]> {
  const access = input.map((a) => ({ server: a.server, tools: [...new Set(a.tools)] }));
  try {
    validateMcpAccess(access);
  } catch (error) {
    if (error instanceof WireError) throw new AppError('BAD_USER_INPUT', `${error.message}.`, { field: 'mcpAccess' });
    throw error;
  }
  const unknown = await unknownMcpServers(
    em,
    access.map((a) => a.server),
  );
  if (unknown.length > 0)
    throw new AppError('BAD_USER_INPUT', `mcpAccess names no MCP server of this organization: ${unknown.join(', ')}.`, { field: 'mcpAccess' });
  return access;
}

/** Names in `names` that are no MCP server of the organization. */
async function unknownMcpServers(em: EntityManager, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const found = new Set((await em.find(McpServer, { name: { $in: [...names] } })).map((s) => s.name));
  return names.filter((n) => !found.has(n));
}
