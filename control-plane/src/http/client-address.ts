import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The peer address of a request. Proxy headers are not trusted: the control plane faces clients directly. */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** A salted hash of a client address, so the audit trail can correlate without storing IPs. */
export function hashClientAddress(ip: string, salt: Buffer): string {
  return createHmac('sha256', salt).update(ip).digest('hex').slice(0, 32);
}
