import { isIP } from 'node:net';
import { ADDRESS_CLASS_DESCRIPTIONS, classifyAddress, isAddressAllowed, type AddressPolicy } from './classify.js';
import { UnsafeUrlError } from './errors.js';

/** Names that are cloud metadata services whatever they resolve to. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/**
 * Checks a custom provider base URL when it is configured: absolute, `https:` (plain `http:`
 * only for a loopback host when `allowLoopback` is set), no user name or password, no fragment,
 * and an IP-literal host must be public. Host names are checked again at connect time by
 * `guardedLookup`, which is what actually stops DNS rebinding. Returns the parsed URL; throws
 * `UnsafeUrlError` with one sentence otherwise. Messages never repeat the URL, which may hold a
 * password.
 */
export function checkBaseUrl(url: string, policy: AddressPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUrlError('base URL must be an absolute URL such as https://api.example.com/v1');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UnsafeUrlError(`base URL must use https (got "${parsed.protocol}")`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UnsafeUrlError("base URL must not contain a user name or password; put credentials in the credential's secret");
  }
  // `new URL('https://h/#')` keeps an empty hash, so look at the input too.
  if (parsed.hash !== '' || url.includes('#')) throw new UnsafeUrlError('base URL must not contain a fragment (#…)');

  const host = parsed.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === '') throw new UnsafeUrlError('base URL must name a host');
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const addressClass = isIP(host) ? classifyAddress(host) : loopbackName ? 'loopback' : null;

  if (parsed.protocol === 'http:') {
    if (!policy.allowLoopback) throw new UnsafeUrlError('base URL must use https; plain http is allowed only for loopback hosts in development');
    if (addressClass !== 'loopback') throw new UnsafeUrlError(`base URL may use plain http only for a loopback host; use https for ${host}`);
  }
  if (METADATA_HOSTS.has(host)) throw new UnsafeUrlError(`base URL host ${host} is a cloud metadata service`);
  if (addressClass !== null && !isAddressAllowed(addressClass, policy)) {
    const what = loopbackName && !isIP(host) ? 'a loopback name' : ADDRESS_CLASS_DESCRIPTIONS[addressClass];
    throw new UnsafeUrlError(`base URL host ${host} is ${what}; providers must be reached at public addresses`);
  }
  return parsed;
}
