import { randomUUID } from 'node:crypto';
import { displayPrefix, generateSecret, hashSecret, type ConfigMessage, type ReportedCircuit } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { actorOf } from '../auth/viewer.js';
import { openConfigStream } from '../config-publish/config-stream.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { NodeToken } from './node-token.entity.js';
import { DataPlaneNode } from './node.entity.js';
import { NODE_ID, NODE_ID_RULE, type NodeHeartbeatInput } from './node.input.js';
import type { CreatedNodeToken, DataPlaneNodeType, NodeTokenType } from './node.type.js';

/** Most nodes the list returns (most recently seen first). */
const MAX_NODES_LISTED = 500;

/** Creates a node token serving the caller's organization only; the secret is shown once. */
export async function createNodeToken(ctx: GraphQLContext, name: string): Promise<CreatedNodeToken> {
  const orgId = orgOf(ctx);
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 120 || /\p{Cc}/u.test(trimmed)) {
    throw new AppError('BAD_USER_INPUT', 'name must be 1 to 120 characters without control characters.');
  }
  const secret = generateSecret('node_token');
  const token = ctx.em.create(NodeToken, {
    organization: orgId,
    name: trimmed,
    prefix: displayPrefix(secret),
    tokenHash: hashSecret(secret, ctx.services.config.keyPepper),
    source: 'api',
    createdBy: ctx.viewer ? actorOf(ctx.viewer) : null,
  });
  await ctx.em.flush();
  return { token: toNodeTokenType(token), secret };
}

/** Revokes one of the organization's node tokens and ends the config streams opened with it. */
export async function revokeNodeToken(ctx: GraphQLContext, id: string): Promise<NodeTokenType> {
  assertUuid(id, 'a node token id');
  const token = await ctx.em.findOne(NodeToken, { id });
  if (!token) throw new AppError('NOT_FOUND', `No node token with id ${id} in this organization.`);
  if (token.organization === null) {
    throw new AppError('FORBIDDEN', "The global node token comes from the operator's KEYWARD_NODE_TOKEN and is changed there.");
  }
  if (!token.revokedAt) {
    token.revokedAt = new Date();
    await ctx.em.flush();
  }
  ctx.services.connectedNodes.closeToken(token.id);
  return toNodeTokenType(token);
}

/** Node tokens visible to the organization: its own and the global one. */
export async function listNodeTokens(ctx: GraphQLContext): Promise<NodeTokenType[]> {
  const tokens = await ctx.em.find(NodeToken, {}, { orderBy: { createdAt: 'desc', id: 'desc' } });
  return tokens.map(toNodeTokenType);
}

/** Nodes serving the organization (its own and global ones), most recently seen first. */
export async function listNodes(ctx: GraphQLContext): Promise<DataPlaneNodeType[]> {
  const nodes = await ctx.em.find(DataPlaneNode, {}, { populate: ['token'], orderBy: { lastSeenAt: 'desc' }, limit: MAX_NODES_LISTED });
  const current = ctx.services.configStore.version;
  const connected = ctx.services.connectedNodes;
  return nodes.map((node) => {
    const token = node.token.getEntity();
    return {
      id: node.nodeId,
      name: token.name,
      tokenId: token.id,
      scope: token.organization ? 'organization' : 'global',
      hostname: node.hostname,
      softwareVersion: node.softwareVersion,
      configVersion: node.configVersion,
      currentVersion: current,
      lag: Math.max(0, current - node.configVersion),
      eventBacklog: node.eventBacklog,
      lastSeenAt: node.lastSeenAt,
      connected: connected.isConnected(token.id, node.nodeId),
    };
  });
}

/** Records a node's heartbeat (creating its row on first contact). */
export async function recordHeartbeat(ctx: GraphQLContext, input: NodeHeartbeatInput): Promise<boolean> {
  const viewer = requireNode(ctx);
  await upsertNode(ctx.em, viewer.nodeId, viewer.orgId, input.nodeId, {
    hostname: input.hostname,
    softwareVersion: input.softwareVersion,
    configVersion: input.configVersion,
    eventBacklog: input.eventBacklog,
    openCircuits: (input.openCircuits ?? []).map((c) => ({
      target: c.target,
      state: c.state as ReportedCircuit['state'],
      openUntil: c.openUntil?.toISOString() ?? null,
    })),
  });
  return true;
}

/**
 * Opens a node's config stream: the snapshot of what its token serves, then deltas. The node's
 * row is touched so it shows up at once, and the stream is registered as connected until it ends.
 */
export async function openNodeConfigStream(ctx: GraphQLContext, nodeId: unknown, knownVersion: unknown): Promise<AsyncIterableIterator<ConfigMessage>> {
  const viewer = requireNode(ctx);
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new AppError('BAD_USER_INPUT', `nodeId must be ${NODE_ID_RULE}.`);
  if (knownVersion !== null && knownVersion !== undefined && (!Number.isInteger(knownVersion) || (knownVersion as number) < 0)) {
    throw new AppError('BAD_USER_INPUT', 'knownVersion must be a whole number of 0 or more.');
  }
  const store = ctx.services.configStore;
  await store.catchUp().catch((error) => ctx.log.warn({ err: error }, 'config catch-up failed before a stream opened'));
  await upsertNode(ctx.em, viewer.nodeId, viewer.orgId, nodeId, { configVersion: (knownVersion as number | null) ?? null });
  if (typeof knownVersion === 'number' && knownVersion > store.version) {
    // The node holds a version this control plane never reached (e.g. a restored database): the
    // snapshot it is about to receive replaces its state (`changesSince` answers null for it).
    ctx.log.warn({ nodeId, knownVersion, version: store.version }, 'node is ahead of the control plane; sending a snapshot');
  }
  let forget = () => {};
  const stream = openConfigStream(store, {
    scope: viewer.orgId,
    knownVersion: (knownVersion as number | null | undefined) ?? null,
    log: ctx.log,
    onClose: () => forget(),
  });
  forget = ctx.services.connectedNodes.add(viewer.nodeId, nodeId, stream);
  ctx.log.info({ nodeId, tokenId: viewer.nodeId, version: store.version }, 'node config stream opened');
  return stream;
}

function requireNode(ctx: GraphQLContext): { nodeId: string; orgId: string | null } {
  const viewer = ctx.viewer;
  if (viewer?.kind !== 'node') throw new AppError('FORBIDDEN', 'Only data-plane nodes may do this.');
  return viewer;
}

interface NodeReport {
  hostname?: string | null;
  softwareVersion?: string | null;
  configVersion?: number | null;
  eventBacklog?: number | null;
  openCircuits?: readonly ReportedCircuit[] | null;
}

/** Inserts or refreshes a node's row; fields the report leaves out keep their stored value. */
async function upsertNode(em: EntityManager, tokenId: string, orgId: string | null, nodeId: string, report: NodeReport): Promise<void> {
  const hostname = report.hostname ?? null;
  const software = report.softwareVersion ?? null;
  const version = report.configVersion ?? null;
  const backlog = report.eventBacklog ?? null;
  const circuits = report.openCircuits ? JSON.stringify(report.openCircuits) : null;
  await sqlRows(
    em,
    `insert into nodes (id, created_at, updated_at, token_id, organization_id, node_id, hostname, software_version,
                        config_version, event_backlog, open_circuits, last_seen_at)
     values (?, now(), now(), ?, ?, ?, ?, ?, coalesce(?::int, 0), coalesce(?::int, 0), coalesce(?::jsonb, '[]'), now())
     on conflict (token_id, node_id) do update set
       updated_at = now(), last_seen_at = now(),
       hostname = coalesce(excluded.hostname, nodes.hostname),
       software_version = coalesce(excluded.software_version, nodes.software_version),
       config_version = coalesce(?::int, nodes.config_version),
       event_backlog = coalesce(?::int, nodes.event_backlog),
       open_circuits = coalesce(?::jsonb, nodes.open_circuits)`,
    [randomUUID(), tokenId, orgId, nodeId, hostname, software, version, backlog, circuits, version, backlog, circuits],
  );
}

function toNodeTokenType(token: NodeToken): NodeTokenType {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    scope: token.organization ? 'organization' : 'global',
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}
