import type { Services } from '../services.js';

/** Where identity providers send people back; register it with the provider. */
export const SSO_CALLBACK_PATH = '/sso/callback';

/** The redirect URI of this control plane, as registered with identity providers. */
export function ssoRedirectUri(services: Services): string {
  return new URL(SSO_CALLBACK_PATH, services.config.publicUrl).toString();
}

/** Where a sign-in through `orgSlug`'s identity provider starts (`test`: shows what came back, signs nobody in). */
export function ssoStartUrl(services: Services, orgSlug: string, test = false): string {
  const url = new URL('/sso/start', services.config.publicUrl);
  url.searchParams.set('org', orgSlug);
  if (test) url.searchParams.set('test', '1');
  return url.toString();
}
