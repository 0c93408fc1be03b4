import { Entity, OptionalProps, Property, Unique } from '@mikro-orm/core';
import type { McpServerAuth, McpToolSettings } from '@keyward/shared';
import { RotatableSecretEntity } from '../db/sealed-secret.entity.js';

/**
 * A remote MCP server of one organization, served by nodes at `/mcp/<name>`. Its upstream secret
 * (bearer token, API-key header value or OAuth client secret) is sealed like a provider
 * credential's, with `orgId:serverId` as associated data; `auth` holds only what is not secret.
 */
@Entity({ tableName: 'mcp_servers' })
@Unique({ properties: ['organization', 'name'] })
export class McpServer extends RotatableSecretEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'secretVersion' | 'rotatedAt' | 'toolSettings';

  @Property({ type: 'string', length: 63 })
  name!: string;

  @Property({ type: 'text' })
  url!: string;

  /** How Keyward authenticates to the server, without the secret. */
  @Property({ type: 'json' })
  auth!: McpServerAuth;

  /** Per-tool rate limits and prices, each tool once. */
  @Property({ type: 'json' })
  toolSettings: McpToolSettings[] = [];
}

/** The associated data a server's secret is sealed with: it binds the ciphertext to its row. */
export function mcpServerAad(orgId: string, serverId: string): string {
  return `${orgId}:${serverId}`;
}
