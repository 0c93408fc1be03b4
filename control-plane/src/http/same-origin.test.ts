import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isSameOrigin } from './same-origin.js';

const PUBLIC_URL = 'https://keyward.example.com';

function request(headers: Record<string, string>): IncomingMessage {
  return { headers: { host: '127.0.0.1:4000', ...headers } } as unknown as IncomingMessage;
}

describe('the same-origin check', () => {
  it('accepts what a browser marks as coming from our own pages, even with a privacy-stripped Origin', () => {
    expect(isSameOrigin(request({ 'sec-fetch-site': 'same-origin', origin: 'null' }), PUBLIC_URL)).toBe(true);
    expect(isSameOrigin(request({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:4000' }), PUBLIC_URL)).toBe(true);
  });

  it('refuses other sites, other ports of the same host, and user-typed navigations', () => {
    for (const site of ['cross-site', 'same-site', 'none']) {
      expect(isSameOrigin(request({ 'sec-fetch-site': site, origin: 'http://127.0.0.1:4000' }), PUBLIC_URL), site).toBe(false);
    }
  });

  it('falls back to Origin for browsers that do not send Sec-Fetch-Site', () => {
    expect(isSameOrigin(request({ origin: 'http://127.0.0.1:4000' }), PUBLIC_URL)).toBe(true);
    expect(isSameOrigin(request({ origin: PUBLIC_URL }), PUBLIC_URL)).toBe(true);
    expect(isSameOrigin(request({ origin: 'http://127.0.0.1:5000' }), PUBLIC_URL)).toBe(false);
    expect(isSameOrigin(request({ origin: 'null' }), PUBLIC_URL)).toBe(false);
    expect(isSameOrigin(request({ origin: 'not a url' }), PUBLIC_URL)).toBe(false);
  });

  it('lets clients that are not browser pages through (curl, scripts, SDKs send neither header)', () => {
    expect(isSameOrigin(request({}), PUBLIC_URL)).toBe(true);
    expect(isSameOrigin(request({ 'sec-fetch-mode': 'cors' }), PUBLIC_URL)).toBe(true);
  });
});
