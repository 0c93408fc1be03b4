import type { CredentialConfig } from '@keyward/shared';

/** OpenAI's public API; the official client's `baseURL` includes `/v1`, and so do credentials' base URLs. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Upstream path of each proxied OpenAI operation, below the base URL. */
export const OPENAI_PATHS = {
  'chat.completions': '/chat/completions',
  responses: '/responses',
  embeddings: '/embeddings',
} as const;

/** The base URL a credential's requests go to; `openai_compatible` credentials always carry their own. */
export function openaiBaseUrl(credential: CredentialConfig): string {
  return (credential.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** OpenAI authenticates with a bearer token. */
export function openaiAuthHeaders(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
