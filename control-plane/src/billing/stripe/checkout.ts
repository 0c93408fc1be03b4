import type { Plan } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatUsd } from '../../budgets/money.js';
import { AppError } from '../../errors.js';
import type { Services } from '../../services.js';
import { billingAccountOf } from '../credits.service.js';
import { PLANS } from '../plans.js';

/** Smallest prepaid top-up through Stripe (card fees make smaller ones pointless). */
const MIN_STRIPE_TOP_UP_MICROS = 5_000_000;

/** What the organization is buying. */
export type CheckoutPurchase =
  { readonly kind: 'top_up'; readonly amountMicros: number } | { readonly kind: 'subscription'; readonly plan: Exclude<Plan, 'free'> };

/** A Stripe Checkout session to send the person to. */
export interface CheckoutSession {
  readonly id: string;
  readonly url: string;
}

/**
 * Creates a Stripe Checkout session for a credit top-up (one payment of that amount) or a plan
 * subscription (the plan's Stripe price). The organization id and purchase travel in the
 * session's metadata, which the webhook trusts only after checking Stripe's signature.
 */
export async function createCheckoutSession(services: Services, em: EntityManager, orgId: string, purchase: CheckoutPurchase): Promise<CheckoutSession> {
  const stripe = services.stripe;
  if (!stripe) throw new AppError('CONFLICT', 'Stripe billing is not configured on this control plane (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).');
  const account = await billingAccountOf(em, orgId);
  const returnUrl = `${services.config.publicUrl}/settings/billing`;
  const common = {
    client_reference_id: orgId,
    success_url: `${returnUrl}?checkout=success`,
    cancel_url: `${returnUrl}?checkout=cancelled`,
    ...(account.stripeCustomerId ? { customer: account.stripeCustomerId } : {}),
  };
  let session;
  if (purchase.kind === 'top_up') {
    if (purchase.amountMicros < MIN_STRIPE_TOP_UP_MICROS || purchase.amountMicros % 10_000 !== 0) {
      throw new AppError('BAD_USER_INPUT', `A card top-up must be whole cents and at least $${formatUsd(MIN_STRIPE_TOP_UP_MICROS)}.`, {
        fields: { amount: ['must be whole cents, at least 5.00'] },
      });
    }
    const metadata = { orgId, kind: 'top_up', amountMicros: String(purchase.amountMicros) };
    session = await stripe.client.checkout.sessions.create({
      ...common,
      mode: 'payment',
      metadata,
      line_items: [
        { quantity: 1, price_data: { currency: 'usd', unit_amount: purchase.amountMicros / 10_000, product_data: { name: 'Keyward prepaid credits' } } },
      ],
    });
  } else {
    const price = stripe.config.prices[purchase.plan];
    if (!price)
      throw new AppError('CONFLICT', `No Stripe price is configured for the ${PLANS[purchase.plan].label} plan (STRIPE_PRICE_${purchase.plan.toUpperCase()}).`);
    const metadata = { orgId, kind: 'subscription', plan: purchase.plan };
    session = await stripe.client.checkout.sessions.create({
      ...common,
      mode: 'subscription',
      metadata,
      subscription_data: { metadata },
      line_items: [{ quantity: 1, price }],
    });
  }
  if (!session.url) throw new AppError('INTERNAL_SERVER_ERROR', 'Stripe did not return a checkout URL.');
  return { id: session.id, url: session.url };
}
