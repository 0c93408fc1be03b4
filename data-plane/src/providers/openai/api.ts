import type { CredentialConfig } from '@keyward/shared';
import type { ProviderApi } from '../types.js';
import { openaiErrorBody, openaiStreamErrorEvent } from './errors.js';
import { openaiModelInfo, openaiModelList } from './models.js';

/** OpenAI's public API; the official client's `baseURL` includes `/v1`, and so do credentials' base URLs. */
const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The base URL a credential's requests go to; `openai_compatible` credentials always carry their own. */
function openaiBaseUrl(credential: CredentialConfig): string {
  return (credential.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** OpenAI authenticates with a bearer token. */
function openaiAuthHeaders(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

/**
 * What follows the scheme of an `Authorization: Bearer …` header, or null when the header is
 * absent or names another scheme. The scheme (any letter case) must be followed by spaces or
 * tabs, which are dropped (RFC 9110); the rest is returned unaltered for the key check to judge,
 * so a look-alike separator (a non-breaking space), a second word or stray characters make the
 * key fail instead of being cut away.
 */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  // oxlint-disable-next-line no-control-regex -- the class is every non-ASCII character
  const match = /^Bearer(?:[ \t]+|(?=[^\x00-\x7f]))(.*)$/is.exec(header);
  return match ? match[1] : null;
}

/** The OpenAI API family, spoken by `openai` and `openai_compatible` credentials. */
export const openaiApi: ProviderApi = {
  family: 'openai',
  name: 'OpenAI',
  providers: ['openai', 'openai_compatible'],
  baseUrl: openaiBaseUrl,
  authHeaders: openaiAuthHeaders,
  defaultHeaders: {},
  clientKey: (headers) => bearerToken(headers.authorization),
  modelList: openaiModelList,
  modelInfo: openaiModelInfo,
  errorBody: openaiErrorBody,
  streamErrorEvent: openaiStreamErrorEvent,
};
