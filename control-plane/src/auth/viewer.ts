import type { Role } from './roles.js';

/**
 * Who is calling. A person signed in with a session cookie, an automation API token, or a
 * data-plane node. People and tokens act inside exactly one organization per request.
 */
export type Viewer =
  | { readonly kind: 'user'; readonly userId: string; readonly sessionId: string; readonly orgId: string | null; readonly role: Role | null }
  | { readonly kind: 'api_token'; readonly tokenId: string; readonly userId: string; readonly orgId: string; readonly role: Role }
  | { readonly kind: 'node'; readonly nodeId: string; readonly orgId: string | null };

/** A caller the audit trail can name: `user:<id>`, `token:<id>` or `node:<id>`. */
export function actorOf(viewer: Viewer): string {
  switch (viewer.kind) {
    case 'user':
      return `user:${viewer.userId}`;
    case 'api_token':
      return `token:${viewer.tokenId}`;
    case 'node':
      return `node:${viewer.nodeId}`;
  }
}
