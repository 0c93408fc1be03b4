import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { NODE_ONLY } from '../auth/auth-checker.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateBudgetInput, CreateRateLimitInput, UpdateBudgetInput, UpdateRateLimitInput } from './budget.input.js';
import * as budgets from './budget.service.js';
import { BudgetSpendType, BudgetType, RateLimitType } from './budget.type.js';
import { currentSpend, loadEnforcedBudgets } from './definitions.js';
import * as rateLimits from './rate-limit.service.js';

/** Budgets and rate limits: what nodes enforce on spend and traffic. */
@Resolver()
export class LimitsResolver {
  @Authorized('limits:read')
  @Query(() => [BudgetType], { description: "The organization's budgets with their current period's spend." })
  budgets(@Ctx() ctx: GraphQLContext): Promise<BudgetType[]> {
    return budgets.listBudgets(ctx);
  }

  @Authorized('limits:read')
  @Query(() => BudgetType, { description: 'One budget with its current spend.' })
  budget(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<BudgetType> {
    return budgets.getBudget(ctx, id);
  }

  @Authorized('limits:write')
  @Mutation(() => BudgetType, { description: 'Creates a budget; nodes enforce it within moments.' })
  createBudget(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateBudgetInput) input: CreateBudgetInput): Promise<BudgetType> {
    return budgets.createBudget(ctx, input);
  }

  @Authorized('limits:write')
  @Mutation(() => BudgetType, { description: 'Changes a budget; omitted fields stay as they are.' })
  updateBudget(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateBudgetInput) input: UpdateBudgetInput,
  ): Promise<BudgetType> {
    return budgets.updateBudget(ctx, id, input);
  }

  @Authorized('limits:write')
  @Mutation(() => ID, { description: 'Deletes a budget and returns its id.' })
  deleteBudget(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return budgets.deleteBudget(ctx, id);
  }

  @Authorized('limits:read')
  @Query(() => [RateLimitType], { description: "The organization's rate limits." })
  rateLimits(@Ctx() ctx: GraphQLContext): Promise<RateLimitType[]> {
    return rateLimits.listRateLimits(ctx);
  }

  @Authorized('limits:write')
  @Mutation(() => RateLimitType, { description: 'Creates a rate limit; nodes enforce it within moments.' })
  createRateLimit(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateRateLimitInput) input: CreateRateLimitInput): Promise<RateLimitType> {
    return rateLimits.createRateLimit(ctx, input);
  }

  @Authorized('limits:write')
  @Mutation(() => RateLimitType, { description: 'Changes a rate limit; an explicit null removes a dimension.' })
  updateRateLimit(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateRateLimitInput) input: UpdateRateLimitInput,
  ): Promise<RateLimitType> {
    return rateLimits.updateRateLimit(ctx, id, input);
  }

  @Authorized('limits:write')
  @Mutation(() => ID, { description: 'Deletes a rate limit and returns its id.' })
  deleteRateLimit(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return rateLimits.deleteRateLimit(ctx, id);
  }

  @Authorized(NODE_ONLY)
  @Query(() => [BudgetSpendType], {
    description:
      "Nodes only: every enforced budget's current period and its spend in PostgreSQL (prepaid credits included), for the organizations the node token serves. Nodes reset their counters to these figures periodically.",
  })
  async nodeBudgetSpend(@Ctx() ctx: GraphQLContext): Promise<BudgetSpendType[]> {
    const viewer = ctx.viewer;
    if (viewer?.kind !== 'node') throw new AppError('FORBIDDEN', 'Only data-plane nodes may do this.');
    const spends = await currentSpend(ctx.em, await loadEnforcedBudgets(ctx.em, viewer.orgId === null ? null : [viewer.orgId]), new Date());
    return spends.map((s) => ({ orgId: s.budget.config.orgId, budgetId: s.budget.config.id, periodKey: s.period.key, spentMicros: s.spentMicros }));
  }
}
