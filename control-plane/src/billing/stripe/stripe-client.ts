import Stripe from 'stripe';
import type { StripeConfig } from '../../config.js';
import type { Services } from '../../services.js';

const clients = new WeakMap<Services, Stripe>();

/**
 * The Stripe client of a control plane whose Stripe settings are configured, or null. One per
 * control plane; requests go to `KEYWARD_STRIPE_API_URL` instead of Stripe when set (stripe-mock).
 */
export function stripeOf(services: Services): { client: Stripe; config: StripeConfig } | null {
  const config = services.config.stripe;
  if (!config) return null;
  let client = clients.get(services);
  if (!client) {
    const api = config.apiUrl ? new URL(config.apiUrl) : null;
    client = new Stripe(config.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      ...(api
        ? { host: api.hostname, port: api.port || (api.protocol === 'https:' ? 443 : 80), protocol: api.protocol === 'https:' ? 'https' : 'http' }
        : {}),
    });
    clients.set(services, client);
  }
  return { client, config };
}
