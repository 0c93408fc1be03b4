import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { ScopeInput } from '../policies/policy.input.js';
import { RouteTestInput } from './route-test.input.js';
import { testRoute } from './route-test.service.js';
import { RouteTestResultType } from './route-test.type.js';
import { RoleInput, RouteInput } from './route.input.js';
import * as routes from './route.service.js';
import { RoleType, RouteType, RouteVersionType } from './route.type.js';
import { targetFigures } from './target-figures.service.js';
import { FigureWindowEnum, TargetFiguresType, type FigureWindow } from './target-figures.type.js';

/** Routes (versioned, bound to the organization, teams or keys) and the roles that use them. */
@Resolver(() => RouteType)
export class RouteResolver {
  @Authorized('routes:read')
  @Query(() => [RouteType], { description: 'Every route of the organization, by name.' })
  routes(@Ctx() ctx: GraphQLContext): Promise<RouteType[]> {
    return routes.listRoutes(ctx);
  }

  @Authorized('routes:read')
  @Query(() => RouteType, { description: 'One route, with its current version and bindings.' })
  route(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<RouteType> {
    return routes.getRoute(ctx, id);
  }

  @Authorized('routes:read')
  @Query(() => [RouteVersionType], { description: "A route's versions, newest first." })
  routeVersions(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<RouteVersionType[]> {
    return routes.listRouteVersions(ctx, id);
  }

  @Authorized('routes:read')
  @Query(() => [TargetFiguresType], {
    description:
      'Per target over a recent window, from stored usage events: attempts, failures by outcome, latency p50/p95, time to first token, cost; and its circuit breaker on each node whose heartbeat reports it open or half-open.',
  })
  routeTargetFigures(
    @Ctx() ctx: GraphQLContext,
    @Arg('window', () => FigureWindowEnum, { defaultValue: 'hour' }) window: FigureWindow,
    @Arg('routeId', () => ID, { nullable: true, description: 'Only requests this route served.' }) routeId?: string | null,
  ): Promise<TargetFiguresType[]> {
    return targetFigures(ctx, window, routeId);
  }

  @Authorized('routes:read')
  @Query(() => RouteTestResultType, {
    description: 'Which route and target a sample request would take and why, by the resolution nodes run, on the current routes and roles.',
  })
  testRoute(@Ctx() ctx: GraphQLContext, @Arg('input', () => RouteTestInput) input: RouteTestInput): Promise<RouteTestResultType> {
    return testRoute(ctx, input);
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType, {
    description:
      'Creates a route. A bad field fails with BAD_USER_INPUT naming it; a target whose credential is missing or does not serve its model, targets of different API families, or aliases that form a cycle fail with CONFIG_REJECTED saying why.',
  })
  createRoute(@Ctx() ctx: GraphQLContext, @Arg('input', () => RouteInput) input: RouteInput): Promise<RouteType> {
    return routes.createRoute(ctx, input);
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType, { description: 'Stores the input as the next version (an unchanged route makes no version).' })
  updateRoute(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => RouteInput) input: RouteInput,
    @Arg('note', () => String, { nullable: true, description: 'Why the change was made.' }) note?: string | null,
  ): Promise<RouteType> {
    return routes.updateRoute(ctx, id, input, note);
  }

  @Authorized('routes:write')
  @Mutation(() => ID, { description: 'Deletes a route with its versions and bindings (refused while a role uses it); returns its id.' })
  deleteRoute(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return routes.deleteRoute(ctx, id);
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType, {
    description: 'Binds a route to the organization, a team or a key; a key’s own binding wins over its team’s, then the organization’s.',
  })
  bindRoute(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('scope', () => ScopeInput) scope: ScopeInput): Promise<RouteType> {
    return routes.bindRoute(ctx, id, scope);
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType, { description: 'Removes one binding of a route.' })
  unbindRoute(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('scope', () => ScopeInput) scope: ScopeInput): Promise<RouteType> {
    return routes.unbindRoute(ctx, id, scope);
  }

  @Authorized('routes:read')
  @Query(() => [RoleType], { description: 'Every agent role of the organization (agents use one with `model: "role:<name>"`), by name.' })
  agentRoles(@Ctx() ctx: GraphQLContext): Promise<RoleType[]> {
    return routes.listRoles(ctx);
  }

  @Authorized('routes:write')
  @Mutation(() => RoleType, { description: 'Creates a role; agents use it with `model: "role:<name>"`.' })
  createAgentRole(@Ctx() ctx: GraphQLContext, @Arg('input', () => RoleInput) input: RoleInput): Promise<RoleType> {
    return routes.createRole(ctx, input);
  }

  @Authorized('routes:write')
  @Mutation(() => RoleType, { description: 'Replaces a role’s name, system prompt, defaults and route.' })
  updateAgentRole(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input', () => RoleInput) input: RoleInput): Promise<RoleType> {
    return routes.updateRole(ctx, id, input);
  }

  @Authorized('routes:write')
  @Mutation(() => ID, { description: 'Deletes a role; returns its id.' })
  deleteAgentRole(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return routes.deleteRole(ctx, id);
  }
}
