import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type NextFunction, type Request, type Response } from 'express';
import { recordAudit } from '../audit/audit.service.js';
import { TENANT_FILTER } from '../db/base.entity.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { clientAddress } from '../http/client-address.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import type { Services } from '../services.js';
import { authenticateScim, type ScimCaller } from './scim-auth.js';
import { scimDiscovery } from './scim-discovery.js';
import { SCIM_CONTENT_TYPE, ScimError, sendScimError } from './scim-errors.js';
import { createScimGroup, deleteScimGroup, findScimGroup, groupResource, listScimGroups, patchScimGroup, replaceScimGroup } from './scim-groups.js';
import { ScimGroup, ScimUser } from './scim-resource.entity.js';
import { SCIM_PATH, scimBaseUrlOf } from './scim-urls.js';
import { createScimUser, deleteScimUser, findScimUser, listScimUsers, patchScimUser, replaceScimUser, userResource, usersListResponse } from './scim-users.js';

/** One SCIM request: its organization's entity manager (tenant filter set), caller and base URL. */
interface ScimScope {
  readonly em: EntityManager;
  readonly caller: ScimCaller;
  readonly baseUrl: string;
}

type ScimHandler = (req: Request, scope: ScimScope) => Promise<{ status: number; body?: unknown; audit?: { action: string; targetId: string } }>;

/**
 * SCIM 2.0 (RFC 7643/7644) for identity providers: Users and Groups of the organization whose
 * SCIM token authenticates the request, and the discovery documents. Everything is read and
 * written through an entity manager scoped to that organization, so another organization's
 * users are simply not there. Changes are recorded in the audit trail as `scim:<token id>`.
 */
export const registerScimRoutes: RouteRegistrar = (app, services) => {
  const router = express.Router();
  router.use(express.json({ type: ['application/scim+json', 'application/json'], limit: '256kb' }));
  const route = (handler: ScimHandler) => async (req: Request, res: Response) => {
    try {
      const em = services.orm.em.fork({ clear: true }) as EntityManager;
      const caller = await authenticateScim(services, em, req.headers.authorization);
      em.setFilterParams(TENANT_FILTER, { orgId: caller.orgId });
      const answer = await handler(req, { em, caller, baseUrl: scimBaseUrlOf(services.config.publicUrl) });
      if (answer.audit) {
        await recordAudit(services, {
          orgId: caller.orgId,
          actor: `scim:${caller.tokenId}`,
          action: answer.audit.action,
          targetId: answer.audit.targetId,
          outcome: 'success',
          errorCode: null,
          args: {},
          ip: clientAddress(req),
          userAgent: String(req.headers['user-agent'] ?? ''),
          requestId: String(res.getHeader('x-request-id')),
        });
      }
      if (answer.body === undefined) res.status(answer.status).end();
      else res.status(answer.status).type(SCIM_CONTENT_TYPE).json(answer.body);
    } catch (error) {
      failure(services, res, error);
    }
  };
  const users = (em: EntityManager) => em.find(ScimUser, {});
  const groups = (em: EntityManager) => em.find(ScimGroup, {});

  router.get(
    '/ServiceProviderConfig',
    route(async (_req, { baseUrl }) => ({ status: 200, body: scimDiscovery(baseUrl).serviceProviderConfig })),
  );
  router.get(
    '/ResourceTypes',
    route(async (_req, { baseUrl }) => ({ status: 200, body: scimDiscovery(baseUrl).resourceTypes })),
  );
  router.get(
    '/ResourceTypes/:name',
    route(async (req, { baseUrl }) => found(scimDiscovery(baseUrl).resourceType(String(req.params.name)), 'resource type')),
  );
  router.get(
    '/Schemas',
    route(async (_req, { baseUrl }) => ({ status: 200, body: scimDiscovery(baseUrl).schemas })),
  );
  router.get(
    '/Schemas/:id',
    route(async (req, { baseUrl }) => found(scimDiscovery(baseUrl).schema(String(req.params.id)), 'schema')),
  );

  router.get(
    '/Users',
    route(async (req, { em, baseUrl }) => {
      const page = await listScimUsers(em, req.query);
      return { status: 200, body: usersListResponse(page.users, await groups(em), page.total, page.startIndex, baseUrl) };
    }),
  );
  router.get(
    '/Users/:id',
    route(async (req, { em, baseUrl }) => ({ status: 200, body: userResource(await findScimUser(em, String(req.params.id)), await groups(em), baseUrl) })),
  );
  router.post(
    '/Users',
    route(async (req, { em, caller, baseUrl }) => {
      const user = await createScimUser(em, caller.orgId, bodyOf(req));
      return { status: 201, body: userResource(user, await groups(em), baseUrl), audit: { action: 'scimCreateUser', targetId: user.id } };
    }),
  );
  router.put(
    '/Users/:id',
    route(async (req, { em, baseUrl }) => {
      const user = await replaceScimUser(em, await findScimUser(em, String(req.params.id)), bodyOf(req));
      return { status: 200, body: userResource(user, await groups(em), baseUrl), audit: { action: 'scimReplaceUser', targetId: user.id } };
    }),
  );
  router.patch(
    '/Users/:id',
    route(async (req, { em, baseUrl }) => {
      const user = await patchScimUser(em, await findScimUser(em, String(req.params.id)), req.body);
      return { status: 200, body: userResource(user, await groups(em), baseUrl), audit: { action: 'scimPatchUser', targetId: user.id } };
    }),
  );
  router.delete(
    '/Users/:id',
    route(async (req, { em }) => {
      const user = await findScimUser(em, String(req.params.id));
      await deleteScimUser(em, user);
      return { status: 204, audit: { action: 'scimDeleteUser', targetId: String(req.params.id) } };
    }),
  );

  router.get(
    '/Groups',
    route(async (req, { em, baseUrl }) => ({ status: 200, body: await listScimGroups(em, req.query, await users(em), baseUrl) })),
  );
  router.get(
    '/Groups/:id',
    route(async (req, { em, baseUrl }) => {
      const withMembers = !String(req.query.excludedAttributes ?? '')
        .toLowerCase()
        .includes('members');
      return { status: 200, body: groupResource(await findScimGroup(em, String(req.params.id)), await users(em), baseUrl, withMembers) };
    }),
  );
  router.post(
    '/Groups',
    route(async (req, { em, caller, baseUrl }) => {
      const all = await users(em);
      const group = await createScimGroup(em, caller.orgId, bodyOf(req), all);
      return { status: 201, body: groupResource(group, all, baseUrl), audit: { action: 'scimCreateGroup', targetId: group.id } };
    }),
  );
  router.put(
    '/Groups/:id',
    route(async (req, { em, baseUrl }) => {
      const all = await users(em);
      const group = await replaceScimGroup(em, await findScimGroup(em, String(req.params.id)), bodyOf(req), all);
      return { status: 200, body: groupResource(group, all, baseUrl), audit: { action: 'scimReplaceGroup', targetId: group.id } };
    }),
  );
  router.patch(
    '/Groups/:id',
    route(async (req, { em, baseUrl }) => {
      const all = await users(em);
      const group = await patchScimGroup(em, await findScimGroup(em, String(req.params.id)), req.body, all);
      return { status: 200, body: groupResource(group, all, baseUrl), audit: { action: 'scimPatchGroup', targetId: group.id } };
    }),
  );
  router.delete(
    '/Groups/:id',
    route(async (req, { em }) => {
      await deleteScimGroup(em, await findScimGroup(em, String(req.params.id)), await users(em));
      return { status: 204, audit: { action: 'scimDeleteGroup', targetId: String(req.params.id) } };
    }),
  );
  router.use((_req: Request, res: Response) => sendScimError(res, new ScimError(404, 'No such SCIM endpoint; see /ResourceTypes.')));
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return sendScimError(res, new ScimError(413, 'A SCIM request body may be at most 256 KB.'));
    if (type === 'entity.parse.failed') return sendScimError(res, new ScimError(400, 'The request body is not valid JSON.', 'invalidSyntax'));
    failure(services, res, err);
  });
  app.use(SCIM_PATH, router);
};

function bodyOf(req: Request): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
    throw new ScimError(400, 'The request body must be a JSON object.', 'invalidSyntax');
  return req.body as Record<string, unknown>;
}

function found(body: unknown, what: string) {
  if (!body) throw new ScimError(404, `No such ${what}.`);
  return { status: 200, body };
}

/** A SCIM error as it says; an unreachable database as 503; anything else a plain 500, logged. */
function failure(services: Services, res: Response, error: unknown): void {
  if (error instanceof ScimError) {
    if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
    return sendScimError(res, error);
  }
  if (isDatabaseUnavailable(error)) return sendScimError(res, new ScimError(503, 'The database is unavailable; retry shortly.'));
  services.log.error({ err: error, requestId: res.getHeader('x-request-id') }, 'SCIM request failed');
  sendScimError(res, new ScimError(500, 'Internal server error.'));
}
