import type { Plan } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type Request, type Response } from 'express';
import type Stripe from 'stripe';
import { requestConfigPublish } from '../../config-publish/publish.js';
import { sqlRows } from '../../config-publish/sql.js';
import { isDatabaseUnavailable } from '../../db/database-errors.js';
import { sendRouteError } from '../../http/rest-errors.js';
import type { RouteRegistrar } from '../../http/route-registrar.js';
import { clampRetentionToPlans } from '../../organizations/retention-periods.js';
import type { Services } from '../../services.js';
import { addCredits, billingAccountOf } from '../credits.service.js';

/** Where Stripe delivers events. */
const STRIPE_WEBHOOK_PATH = '/v1/billing/stripe/webhook';

const PAID_PLANS: readonly Plan[] = ['pro', 'enterprise'];

/**
 * `POST /v1/billing/stripe/webhook`: Stripe's signed events. The raw body is checked with
 * `stripe.webhooks.constructEvent` against `STRIPE_WEBHOOK_SECRET` before anything is read from
 * it (400 `INVALID_SIGNATURE` otherwise). A paid checkout for credits appends one ledger entry
 * whose reference is the checkout session, so a redelivered event credits nothing more; a
 * subscription checkout sets the plan, and a cancelled subscription returns the organization
 * to Free. Other events are acknowledged and ignored. 404 when Stripe is not configured.
 */
export const registerStripeWebhookRoute: RouteRegistrar = (app, services) => {
  app.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit: 1_000_000 }), async (req: Request, res: Response) => {
    const stripe = services.stripe;
    if (!stripe) return sendRouteError(res, 404, 'STRIPE_NOT_CONFIGURED', 'Stripe billing is not configured on this control plane.');
    const signature = req.headers['stripe-signature'];
    let event: Stripe.Event;
    try {
      if (typeof signature !== 'string' || !Buffer.isBuffer(req.body)) throw new Error('missing signature or body');
      event = stripe.client.webhooks.constructEvent(req.body, signature, stripe.config.webhookSecret);
    } catch {
      services.log.warn({ path: STRIPE_WEBHOOK_PATH }, 'refused a Stripe webhook with a bad signature');
      return sendRouteError(res, 400, 'INVALID_SIGNATURE', 'The Stripe-Signature header does not match this payload.');
    }
    try {
      const outcome = await handleStripeEvent(services, event);
      services.log.info({ stripeEventId: event.id, type: event.type, outcome }, 'Stripe event handled');
      res.json({ received: true, outcome });
    } catch (error) {
      // A 5xx makes Stripe redeliver later; the ledger reference keeps the retry from crediting twice.
      services.log.error({ err: error, stripeEventId: event.id, type: event.type }, 'could not handle a Stripe event');
      const unavailable = isDatabaseUnavailable(error);
      sendRouteError(
        res,
        unavailable ? 503 : 500,
        unavailable ? 'DATABASE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR',
        'The event could not be processed; Stripe will retry.',
      );
    }
  });
};

/** What handling one verified event did (for logs and the answer). */
type StripeEventOutcome = 'credited' | 'already_credited' | 'plan_changed' | 'ignored';

/** Applies one verified Stripe event. */
async function handleStripeEvent(services: Services, event: Stripe.Event): Promise<StripeEventOutcome> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  if (event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') {
    const session = event.data.object;
    const orgId = await existingOrg(em, session.metadata?.orgId ?? session.client_reference_id);
    if (!orgId || session.payment_status !== 'paid') return 'ignored';
    await rememberCustomer(em, orgId, session.customer);
    if (session.metadata?.kind === 'top_up' && session.mode === 'payment' && session.amount_total && session.amount_total > 0) {
      const credited = await addCredits(services, em, {
        orgId,
        // What Stripe says was paid, in cents, not what the metadata asked for.
        amountMicros: session.amount_total * 10_000,
        reason: 'stripe_payment',
        actor: 'stripe',
        reference: `stripe:checkout:${session.id}`,
        note: 'Card top-up through Stripe Checkout',
      });
      return credited ? 'credited' : 'already_credited';
    }
    const plan = session.metadata?.plan as Plan | undefined;
    if (session.metadata?.kind === 'subscription' && plan && PAID_PLANS.includes(plan)) {
      return (await setPlan(services, em, orgId, plan)) ? 'plan_changed' : 'ignored';
    }
    return 'ignored';
  }
  if (event.type === 'customer.subscription.deleted') {
    const orgId = await existingOrg(em, event.data.object.metadata?.orgId);
    if (!orgId) return 'ignored';
    return (await setPlan(services, em, orgId, 'free')) ? 'plan_changed' : 'ignored';
  }
  return 'ignored';
}

async function existingOrg(em: EntityManager, orgId: string | null | undefined): Promise<string | null> {
  if (!orgId || !/^[0-9a-f-]{36}$/i.test(orgId)) return null;
  const rows = await sqlRows<{ id: string }>(em, 'select id from organizations where id = ?', [orgId]);
  return rows[0]?.id ?? null;
}

async function rememberCustomer(em: EntityManager, orgId: string, customer: string | Stripe.Customer | Stripe.DeletedCustomer | null): Promise<void> {
  const id = typeof customer === 'string' ? customer : (customer?.id ?? null);
  if (!id) return;
  const account = await billingAccountOf(em, orgId);
  if (account.stripeCustomerId === id) return;
  account.stripeCustomerId = id;
  await em.flush();
}

/** Sets the plan and republishes (nodes see the plan). False when it already was that plan. */
export async function setPlan(services: Services, em: EntityManager, orgId: string, plan: Plan): Promise<boolean> {
  const rows = await sqlRows(em, 'update organizations set plan = ?, updated_at = now() where id = ? and plan <> ? returning id', [plan, orgId, plan]);
  if (rows.length === 0) return false;
  // A plan that fixes the retention period applies it from now on (a downgrade from Enterprise).
  await clampRetentionToPlans(services.config.edition, em, orgId);
  await requestConfigPublish(services, orgId, 'plan changed');
  return true;
}
