import type { IncomingMessage } from 'node:http';

/**
 * Whether a cookie-carrying request comes from our own pages, so another site cannot ride a
 * person's session (CSRF) or use a signed link's button.
 *
 * Browsers tell it in two ways. `Sec-Fetch-Site` (every current browser, and no page can set
 * it) says it directly: only `same-origin` passes — `same-site` is refused too, since another
 * port on the same host is another origin but the same site. Browsers without it send `Origin`
 * on POSTs and WebSocket upgrades, which must then name this server (its Host) or the
 * configured public URL; `Origin: null` (a sandboxed or privacy-stripped sender) is refused.
 * Requests with neither header do not come from a browser page (curl, scripts, SDKs) and carry
 * no ambient authority a site could borrow, so they pass.
 */
export function isSameOrigin(req: IncomingMessage, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  if (!origin) return true;
  if (origin === 'null') return false;
  try {
    const o = new URL(origin);
    if (o.origin === new URL(publicUrl).origin) return true;
    return o.host === req.headers.host;
  } catch {
    return false;
  }
}
