import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';
import type { McpAccess } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * MCP servers and tools every key of a team (`teamId`) or of the whole organization (`teamId`
 * null) may call, on top of the key's own `mcpAccess`; at most one row per team and one for the
 * organization.
 */
@Entity({ tableName: 'mcp_access_grants' })
@Unique({ properties: ['organization', 'teamId'] })
export class McpAccessGrant extends OrgScopedEntity {
  @Property({ type: 'uuid', nullable: true })
  teamId: string | null = null;

  @Property({ type: 'json' })
  access: McpAccess[] = [];

  override createdAt!: Opt<Date>;
  override updatedAt!: Opt<Date>;
}
