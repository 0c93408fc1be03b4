import { randomUUID } from 'node:crypto';
import {
  checkBaseUrl,
  mcpHeaderNameProblem,
  sealSecret,
  UnsafeUrlError,
  validateMcpToolSettings,
  WireError,
  type McpServerAuth,
  type McpToolSettings,
} from '@keyward/shared';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import type { Services } from '../services.js';
import { McpServer, mcpServerAad } from './mcp-server.entity.js';
import { grantsNaming } from './mcp-access-grant.service.js';
import type { CreateMcpServerInput, McpServerCredentialInput, McpToolSettingsInput, UpdateMcpServerInput } from './mcp-server.input.js';
import type { McpServerType, McpToolType } from './mcp-server.type.js';
import { probeMcpServer } from './mcp-server-probe.js';

/** A credential as stored: what is not secret, and the secret to seal. */
interface CheckedCredential {
  readonly auth: McpServerAuth;
  readonly secret: string;
}

/** Registers an MCP server with its credential sealed under the KMS, bound to its organization and row. */
export async function createMcpServer(ctx: GraphQLContext, input: CreateMcpServerInput): Promise<McpServerType> {
  const orgId = orgOf(ctx);
  const url = checkedUrl(ctx.services, 'url', input.url);
  const credential = checkedCredential(ctx.services, input.credential);
  // The id is part of the associated data, so it is chosen first; sealing happens before the transaction.
  const id = randomUUID();
  const sealed = await sealSecret(ctx.services.kms, credential.secret, mcpServerAad(orgId, id));
  const server = await withUniqueName(input.name, () =>
    applyConfigChange(ctx.services, ctx.em, orgId, 'MCP server created', async (tx) => {
      await assertNameFree(tx, input.name, null);
      return tx.create(McpServer, {
        id,
        organization: orgId,
        name: input.name,
        url,
        auth: credential.auth,
        toolSettings: checkedToolSettings(input.tools ?? []),
        lastFour: credential.secret.slice(-4),
        ...sealed,
      });
    }),
  );
  return toMcpServerType(server);
}

/** Changes a server's name, URL or credential; a rename is refused while keys name the server. */
export async function updateMcpServer(ctx: GraphQLContext, id: string, input: UpdateMcpServerInput): Promise<McpServerType> {
  const orgId = orgOf(ctx);
  const url = input.url == null ? null : checkedUrl(ctx.services, 'url', input.url);
  const credential = input.credential == null ? null : checkedCredential(ctx.services, input.credential);
  assertUuid(id, 'an MCP server id');
  const sealed = credential ? await sealSecret(ctx.services.kms, credential.secret, mcpServerAad(orgId, id)) : null;
  const server = await withUniqueName(input.name ?? '', () =>
    applyConfigChange(ctx.services, ctx.em, orgId, 'MCP server updated', async (tx) => {
      const server = await findMcpServer(tx, id);
      if (input.name != null && input.name !== server.name) {
        await assertNotNamedByKeys(tx, orgId, server.name, 'rename');
        await assertNameFree(tx, input.name, server.id);
        server.name = input.name;
      }
      if (url !== null) server.url = url;
      if (input.tools != null) server.toolSettings = checkedToolSettings(input.tools);
      if (credential && sealed) {
        server.auth = credential.auth;
        server.rotateTo(sealed, credential.secret);
      }
      return server;
    }),
  );
  return toMcpServerType(server);
}

/** Deletes a server; refused while an active key may call it (the message names the keys). */
export async function deleteMcpServer(ctx: GraphQLContext, id: string): Promise<string> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'MCP server deleted', async (tx) => {
    const server = await findMcpServer(tx, id);
    await assertNotNamedByKeys(tx, orgId, server.name, 'delete');
    tx.remove(server);
    return server.id;
  });
}

/** Every MCP server of the organization, by name. */
export async function listMcpServers(ctx: GraphQLContext): Promise<McpServerType[]> {
  const servers = await ctx.em.find(McpServer, {}, { orderBy: { name: 'asc', id: 'asc' } });
  return servers.map(toMcpServerType);
}

/** Connects to a server with its stored credential and lists the tools it offers. */
export async function testMcpServer(ctx: GraphQLContext, id: string): Promise<McpToolType[]> {
  const server = await findMcpServer(ctx.em, id);
  return probeMcpServer(ctx.services, orgOf(ctx), server);
}

async function findMcpServer(em: EntityManager, id: string): Promise<McpServer> {
  assertUuid(id, 'an MCP server id');
  const server = await em.findOne(McpServer, { id });
  if (!server) throw new AppError('NOT_FOUND', `No MCP server with id ${id} in this organization.`);
  return server;
}

function toMcpServerType(s: McpServer): McpServerType {
  return {
    id: s.id,
    name: s.name,
    url: s.url,
    authKind: s.auth.kind,
    headerName: s.auth.kind === 'header' ? s.auth.headerName : null,
    tokenUrl: s.auth.kind === 'oauth_client_credentials' ? s.auth.tokenUrl : null,
    clientId: s.auth.kind === 'oauth_client_credentials' ? s.auth.clientId : null,
    lastFour: s.lastFour,
    secretVersion: s.secretVersion,
    tools: s.toolSettings.map((t) => ({ ...t })),
    createdAt: s.createdAt,
  };
}

/** Tool settings as stored: defaults filled in, checked by the wire rules. */
function checkedToolSettings(input: readonly McpToolSettingsInput[]): McpToolSettings[] {
  const settings = input.map((t) => ({ name: t.name, callsPerMinute: t.callsPerMinute ?? null, costMicros: t.costMicros ?? 0 }));
  try {
    validateMcpToolSettings(settings);
  } catch (error) {
    if (error instanceof WireError) throw new AppError('BAD_USER_INPUT', `${error.message}.`, { field: 'tools' });
    throw error;
  }
  return settings;
}

/** Exactly one way to authenticate, its URLs checked like credentials' base URLs. */
function checkedCredential(services: Services, input: McpServerCredentialInput): CheckedCredential {
  const given = [input.bearerToken, input.apiKeyHeader, input.oauthClientCredentials].filter((v) => v != null);
  if (given.length !== 1) {
    throw new AppError('BAD_USER_INPUT', 'The credential needs exactly one of bearerToken, apiKeyHeader or oauthClientCredentials.', { field: 'credential' });
  }
  if (input.bearerToken != null) return { auth: { kind: 'bearer' }, secret: input.bearerToken };
  if (input.apiKeyHeader != null) {
    const problem = mcpHeaderNameProblem(input.apiKeyHeader.name);
    if (problem) throw new AppError('BAD_USER_INPUT', `The API key header name ${problem}.`, { field: 'credential.apiKeyHeader.name' });
    return { auth: { kind: 'header', headerName: input.apiKeyHeader.name }, secret: input.apiKeyHeader.value };
  }
  const oauth = input.oauthClientCredentials!;
  return {
    auth: {
      kind: 'oauth_client_credentials',
      tokenUrl: checkedUrl(services, 'tokenUrl', oauth.tokenUrl),
      clientId: oauth.clientId,
      scope: oauth.scope?.trim() || null,
    },
    secret: oauth.clientSecret,
  };
}

/** A URL under the SSRF rules of credentials' base URLs (https, public address; loopback only with the development override). */
function checkedUrl(services: Services, field: string, value: string): string {
  const trimmed = value.trim();
  try {
    checkBaseUrl(trimmed, { allowLoopback: services.config.allowLoopbackUpstreams });
  } catch (error) {
    if (error instanceof UnsafeUrlError)
      throw new AppError('BAD_USER_INPUT', `The ${field} was refused: ${error.message.replace(/^base URL/, 'the URL')}.`, { field });
    throw error;
  }
  return trimmed;
}

/** Renaming or deleting a server would silently take tools away from the keys that name it: a person decides that first. */
async function assertNotNamedByKeys(em: EntityManager, orgId: string, name: string, action: 'rename' | 'delete'): Promise<void> {
  const keys = await sqlRows<{ name: string; prefix: string }>(
    em,
    `select name, prefix from keys where organization_id = ? and status = 'active' and mcp_access @> ?::jsonb order by name, id limit 6`,
    [orgId, JSON.stringify([{ server: name }])],
  );
  const granted = await grantsNaming(em, name);
  if (granted.length > 0)
    throw new AppError('CONFLICT', `Cannot ${action} MCP server "${name}": ${granted.join(', ')} may call it; change that MCP access first.`);
  if (keys.length === 0) return;
  const names = keys
    .slice(0, 5)
    .map((k) => `"${k.name}" (${k.prefix})`)
    .join(', ');
  const more = keys.length > 5 ? ' and more' : '';
  throw new AppError(
    'CONFLICT',
    `Cannot ${action} MCP server "${name}": key${keys.length > 1 ? 's' : ''} ${names}${more} may call it; change their mcpAccess first.`,
  );
}

async function assertNameFree(em: EntityManager, name: string, exceptId: string | null): Promise<void> {
  const clash = await em.findOne(McpServer, exceptId ? { name, id: { $ne: exceptId } } : { name });
  if (clash) throw new AppError('CONFLICT', `An MCP server named "${name}" already exists in this organization.`);
}

/** Two concurrent creates can both pass `assertNameFree`; the unique index then decides. */
async function withUniqueName<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException)
      throw new AppError('CONFLICT', `An MCP server named "${name}" already exists in this organization.`);
    throw error;
  }
}
