import type { AuthCheckerInterface, ResolverData } from 'type-graphql';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { PERMISSIONS, roleCan, type Permission } from './roles.js';

/** `@Authorized(NODE_ONLY)` marks fields only data-plane nodes may call. */
export const NODE_ONLY = '@node';

const KNOWN = new Set<string>([...PERMISSIONS, NODE_ONLY]);

/**
 * The one place that decides whether a caller may run a field. Resolvers declare what they
 * need with `@Authorized(...permissions)`; the caller's role, from its membership or token,
 * must grant all of them. Organization scoping is enforced separately by the tenant filter.
 */
export class AuthChecker implements AuthCheckerInterface<GraphQLContext, string> {
  check({ context }: ResolverData<GraphQLContext>, required: string[]): boolean {
    const viewer = context.viewer;
    if (!viewer) throw new AppError('UNAUTHENTICATED', 'Sign in or send an API token to do this.');
    for (const r of required) if (!KNOWN.has(r)) throw new Error(`Unknown permission "${r}" on a resolver.`);
    if (required.includes(NODE_ONLY)) {
      if (viewer.kind !== 'node') throw new AppError('FORBIDDEN', 'Only data-plane nodes may do this.');
      return true;
    }
    if (viewer.kind === 'node') throw new AppError('FORBIDDEN', 'Data-plane node tokens cannot do this.');
    if (required.length === 0) return true;
    if (!viewer.orgId || !viewer.role) {
      throw new AppError('FORBIDDEN', 'You are not a member of an organization yet.');
    }
    for (const permission of required) {
      if (!roleCan(viewer.role, permission as Permission)) {
        throw new AppError('FORBIDDEN', `Your role (${viewer.role}) does not allow ${permission}.`);
      }
    }
    return true;
  }
}
