import Stripe from 'stripe';
import type { StripeConfig } from '../../config.js';

/** A configured Stripe account: the client and the settings it was made from. */
export interface StripeBilling {
  readonly client: Stripe;
  readonly config: StripeConfig;
}

/**
 * The Stripe client of a control plane whose Stripe settings are configured, or null. Requests
 * go to `KEYWARD_STRIPE_API_URL` instead of Stripe when set (stripe-mock).
 */
export function createStripeBilling(config: StripeConfig | null | undefined): StripeBilling | null {
  if (!config) return null;
  const api = config.apiUrl ? new URL(config.apiUrl) : null;
  const client = new Stripe(config.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(api ? { host: api.hostname, port: api.port || (api.protocol === 'https:' ? 443 : 80), protocol: api.protocol === 'https:' ? 'https' : 'http' } : {}),
  });
  return { client, config };
}
