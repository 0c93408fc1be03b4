import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { TENANT_FILTER } from '../db/base.entity.js';

/** Cookie writes a resolver may ask for (sign-in, sign-out); absent on WebSocket operations. */
export interface CookieJar {
  get(name: string): string | undefined;
  set(name: string, value: string, options: { maxAgeSeconds: number }): void;
  clear(name: string): void;
}

/** What every resolver receives. */
export interface GraphQLContext {
  readonly services: Services;
  /** A fork of the entity manager for this operation, with the tenant filter bound to the viewer's organization. */
  readonly em: EntityManager;
  readonly viewer: Viewer | null;
  readonly requestId: string;
  readonly log: Logger;
  /** Client address as seen by the control plane (used for rate limiting and the salted audit hash). */
  readonly ip: string;
  readonly userAgent: string;
  readonly cookies: CookieJar | null;
}

/** Forks an entity manager whose tenant filter is bound to `orgId`. */
export function forkForOrg(services: Services, orgId: string | null): EntityManager {
  const em = services.orm.em.fork({ clear: true });
  em.setFilterParams(TENANT_FILTER, { orgId: orgId ?? undefined });
  return em as EntityManager;
}
