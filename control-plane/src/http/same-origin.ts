import type { IncomingMessage } from 'node:http';

/**
 * Whether a cookie-carrying request comes from our own pages. Browsers send `Origin` on
 * cross-site POSTs and WebSocket upgrades; when it is present it must name this server
 * (its Host) or the configured public URL.
 */
export function isSameOrigin(req: IncomingMessage, publicUrl: string): boolean {
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
