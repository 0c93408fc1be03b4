import { isUuid, type Plan } from '@keyward/shared';
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { actorOf } from '../auth/viewer.js';
import { formatUsd } from '../budgets/money.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { PlanEnum } from '../organizations/enums.js';
import { Organization } from '../organizations/organization.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import { CheckoutInput, TopUpCreditsInput } from './billing.input.js';
import {
  BillingStatementType,
  CheckoutSessionType,
  CreditAccountType,
  CreditLedgerEntryType,
  PlanTermsType,
  UsageGroupByEnum,
  UsageRollupType,
} from './billing.type.js';
import { CreditLedgerEntry } from './credit-ledger.entity.js';
import { addCredits, creditStanding, parseTopUp, setCreditsEnabled, type CreditStanding } from './credits.service.js';
import { PLANS, plansApply } from './plans.js';
import { buildStatement } from './statement.js';
import { createCheckoutSession } from './stripe/checkout.js';
import { setPlan } from './stripe/webhook.route.js';
import { usageRollups, type UsageGroupBy } from './usage.js';

/** Plans, prepaid credits, usage metering and monthly statements. */
@Resolver()
export class BillingResolver {
  @Authorized('org:read')
  @Query(() => [PlanTermsType], {
    description: 'Every plan with its fee, included usage and features; empty on a self-hosted installation, which has no plans.',
  })
  billingPlans(@Ctx() ctx: GraphQLContext): PlanTermsType[] {
    if (!plansApply(ctx.services.config.edition)) return [];
    return (Object.keys(PLANS) as Plan[]).map((plan) => ({
      plan,
      label: PLANS[plan].label,
      monthlyFee: formatUsd(PLANS[plan].monthlyFeeMicros),
      includedUsage: formatUsd(PLANS[plan].includedUsageMicros),
      features: [...PLANS[plan].features],
    }));
  }

  @Authorized('org:read')
  @Query(() => CreditAccountType, { description: "The organization's prepaid credits." })
  async credits(@Ctx() ctx: GraphQLContext): Promise<CreditAccountType> {
    return toCreditAccount(await creditStanding(ctx.em, orgCallerOf(ctx).orgId));
  }

  @Authorized('org:read')
  @Query(() => [CreditLedgerEntryType], { description: 'Credit ledger entries, newest first.' })
  async creditLedger(@Ctx() ctx: GraphQLContext, @Arg('first', () => Int, { defaultValue: 50 }) first: number): Promise<CreditLedgerEntryType[]> {
    if (!Number.isInteger(first) || first < 1 || first > 500) throw new AppError('BAD_USER_INPUT', 'first must be from 1 to 500.');
    const entries = await ctx.em.find(CreditLedgerEntry, {}, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: first });
    return entries.map((e) => ({
      id: e.id,
      amount: formatUsd(Number(e.amountMicros)),
      amountMicros: Number(e.amountMicros),
      reason: e.reason,
      actor: e.actor,
      reference: e.reference,
      note: e.note,
      createdAt: e.createdAt,
    }));
  }

  @Authorized('billing:manage')
  @Mutation(() => CreditAccountType, { description: 'Adds prepaid credits by hand (owners). A repeated reference adds nothing.' })
  async topUpCredits(@Ctx() ctx: GraphQLContext, @Arg('input', () => TopUpCreditsInput) input: TopUpCreditsInput): Promise<CreditAccountType> {
    const { orgId } = orgCallerOf(ctx);
    await addCredits(ctx.services, ctx.em, {
      orgId,
      amountMicros: parseTopUp(input.amount),
      reason: 'top_up',
      actor: actorOf(ctx.viewer!),
      reference: input.reference?.trim() || null,
      note: input.note?.trim() || null,
    });
    return toCreditAccount(await creditStanding(ctx.em, orgId));
  }

  @Authorized('billing:manage')
  @Mutation(() => CreditAccountType, {
    description: 'Turns enforcement of the credit balance on or off. From the first enabling on, usage draws on the credits.',
  })
  async setCreditsEnabled(@Ctx() ctx: GraphQLContext, @Arg('enabled', () => Boolean) enabled: boolean): Promise<CreditAccountType> {
    const { orgId } = orgCallerOf(ctx);
    await setCreditsEnabled(ctx.services, ctx.em, orgId, enabled);
    return toCreditAccount(await creditStanding(ctx.em, orgId));
  }

  @Authorized('billing:manage')
  @Mutation(() => PlanEnum, {
    description: 'Changes the plan. With Stripe configured, paid plans are bought with createCheckoutSession; this then only moves down.',
  })
  async changePlan(@Ctx() ctx: GraphQLContext, @Arg('plan', () => PlanEnum) plan: Plan): Promise<Plan> {
    const { orgId } = orgCallerOf(ctx);
    requirePlans(ctx);
    const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
    const order: Plan[] = ['free', 'pro', 'enterprise'];
    if (ctx.services.stripe && order.indexOf(plan) > order.indexOf(org.plan)) {
      throw new AppError('CONFLICT', `Upgrade to the ${PLANS[plan].label} plan with createCheckoutSession(kind: SUBSCRIPTION).`);
    }
    await setPlan(ctx.services, ctx.em, orgId, plan);
    return plan;
  }

  @Authorized('billing:manage')
  @Mutation(() => CheckoutSessionType, { description: 'Starts a Stripe Checkout for credits or a plan; send the person to its url.' })
  createCheckoutSession(@Ctx() ctx: GraphQLContext, @Arg('input', () => CheckoutInput) input: CheckoutInput): Promise<CheckoutSessionType> {
    const { orgId } = orgCallerOf(ctx);
    if (input.kind === 'top_up') {
      if (!input.amount) throw new AppError('BAD_USER_INPUT', 'amount is required for a TOP_UP.', { fields: { amount: ['is required'] } });
      return createCheckoutSession(ctx.services, ctx.em, orgId, { kind: 'top_up', amountMicros: parseTopUp(input.amount) });
    }
    requirePlans(ctx);
    if (!input.plan) throw new AppError('BAD_USER_INPUT', 'plan is required for a SUBSCRIPTION.', { fields: { plan: ['is required'] } });
    return createCheckoutSession(ctx.services, ctx.em, orgId, { kind: 'subscription', plan: input.plan });
  }

  @Authorized('events:read')
  @Query(() => [UsageRollupType], {
    description: "Usage from `from` to `to` (local days YYYY-MM-DD in the organization's time zone, both included), grouped for charts.",
  })
  async usageRollups(
    @Ctx() ctx: GraphQLContext,
    @Arg('groupBy', () => UsageGroupByEnum) groupBy: UsageGroupBy,
    @Arg('from', () => String) from: string,
    @Arg('to', () => String) to: string,
    @Arg('keyId', () => ID, { nullable: true, description: 'Only this key’s usage.' }) keyId?: string | null,
    @Arg('teamId', () => ID, { nullable: true, description: 'Only the usage of keys while in this team.' }) teamId?: string | null,
  ): Promise<UsageRollupType[]> {
    for (const [name, id] of [
      ['keyId', keyId],
      ['teamId', teamId],
    ] as const) {
      if (id && !isUuid(id)) throw new AppError('BAD_USER_INPUT', `${name} must be a UUID.`, { fields: { [name]: ['must be a UUID'] } });
    }
    const rows = await usageRollups(ctx.em, orgCallerOf(ctx).orgId, groupBy, from, to, { keyId, teamId });
    return rows.map((row) => ({ ...row, cost: formatUsd(row.costMicros) }));
  }

  @Authorized('org:read')
  @Query(() => BillingStatementType, { description: "The statement of a calendar month (YYYY-MM, the organization's time zone)." })
  async billingStatement(@Ctx() ctx: GraphQLContext, @Arg('month', () => String) month: string): Promise<BillingStatementType> {
    const statement = await buildStatement(ctx.services.config.edition, ctx.em, orgCallerOf(ctx).orgId, month);
    return {
      month: statement.month,
      plan: statement.plan,
      lines: statement.lines.map((line) => ({ ...line, amount: formatUsd(line.amountMicros) })),
      usage: formatUsd(statement.usageMicros),
      total: formatUsd(statement.totalMicros),
      totalMicros: statement.totalMicros,
      csvPath: `/v1/billing/statements/${statement.month}.csv`,
    };
  }
}

/** Refuses plan changes where there are no plans to change to. */
function requirePlans(ctx: GraphQLContext): void {
  if (!plansApply(ctx.services.config.edition)) {
    throw new AppError('CONFLICT', 'This Keyward installation is self-hosted: it has no plans, and every feature is on.');
  }
}

function toCreditAccount(standing: CreditStanding): CreditAccountType {
  return {
    enabled: standing.enabled,
    balance: formatUsd(standing.balanceMicros),
    balanceMicros: standing.balanceMicros,
    used: formatUsd(standing.usedMicros),
    usedMicros: standing.usedMicros,
    remaining: formatUsd(standing.remainingMicros),
    remainingMicros: standing.remainingMicros,
    startDay: standing.startDay,
  };
}
