import type { CredentialConfig } from '@keyward/shared';
import { bearerToken } from '../openai/api.js';
import type { ProviderApi } from '../types.js';
import { anthropicErrorBody, anthropicStreamErrorEvent } from './errors.js';
import { anthropicModelInfo, anthropicModelList } from './models.js';

/** Anthropic's public API; like the official client's `baseURL`, it excludes `/v1`. */
const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** The API version sent when the agent's client did not name one. */
const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';

/** The base URL a credential's requests go to. */
function anthropicBaseUrl(credential: CredentialConfig): string {
  return (credential.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** Anthropic authenticates with `x-api-key`. */
function anthropicAuthHeaders(secret: string): Record<string, string> {
  return { 'x-api-key': secret };
}

/** The official client sends `x-api-key`; a bearer token (its `authToken` option) is accepted too. */
function anthropicClientKey(headers: Readonly<Record<string, string>>): string | null {
  return headers['x-api-key'] || bearerToken(headers.authorization);
}

/** The Anthropic API family. */
export const anthropicApi: ProviderApi = {
  family: 'anthropic',
  name: 'Anthropic',
  providers: ['anthropic'],
  baseUrl: anthropicBaseUrl,
  authHeaders: anthropicAuthHeaders,
  defaultHeaders: { 'anthropic-version': ANTHROPIC_DEFAULT_VERSION },
  clientKey: anthropicClientKey,
  modelList: anthropicModelList,
  modelInfo: anthropicModelInfo,
  errorBody: anthropicErrorBody,
  streamErrorEvent: anthropicStreamErrorEvent,
};
