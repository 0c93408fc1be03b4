import type { Role } from '../auth/roles.js';
import type { Viewer } from '../auth/viewer.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';

/** A person or API token acting inside an organization. */
export interface OrgCaller {
  readonly kind: 'user' | 'api_token';
  readonly userId: string;
  readonly orgId: string;
  readonly role: Role;
}

/** A person signed in with a session cookie. */
export type PersonViewer = Extract<Viewer, { kind: 'user' }>;

/**
 * The caller of an org-scoped operation. `@Authorized(...)` has already checked the permission;
 * this narrows the type and covers the rare resolver whose permission is `@Authorized()`.
 */
export function orgCallerOf(ctx: GraphQLContext): OrgCaller {
  const v = ctx.viewer;
  if (!v) throw new AppError('UNAUTHENTICATED', 'Sign in or send an API token to do this.');
  if (v.kind === 'node') throw new AppError('FORBIDDEN', 'Data-plane node tokens cannot do this.');
  if (!v.orgId || !v.role) throw new AppError('FORBIDDEN', 'You are not a member of an organization yet.');
  return { kind: v.kind, userId: v.userId, orgId: v.orgId, role: v.role };
}

/**
 * The person behind a session. Some things only a person at the console may do (create API
 * tokens, change a password, switch organization): a leaked automation token must not be able
 * to mint more tokens or lock its owner out.
 */
export function personOf(ctx: GraphQLContext): PersonViewer {
  const v = ctx.viewer;
  if (!v) throw new AppError('UNAUTHENTICATED', 'Sign in to do this.');
  if (v.kind !== 'user') throw new AppError('FORBIDDEN', 'Only a person signed in to the console can do this, not an API or node token.');
  return v;
}
