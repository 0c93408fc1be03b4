import type { CredentialConfig } from '@keyward/shared';
import type { ProviderApi } from '../types.js';
import { geminiErrorBody, geminiStreamErrorEvent } from './errors.js';
import { geminiModelInfo, geminiModelList } from './models.js';

/** The Gemini API; like the official client's `baseUrl`, it excludes the API version. */
const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** The API version in the path, which the gateway mirrors. */
const GEMINI_API_VERSION = 'v1beta';

/** The base URL a credential's requests go to. */
function geminiBaseUrl(credential: CredentialConfig): string {
  return (credential.baseUrl ?? GEMINI_DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** Upstream path of a Gemini method for a model; `alt=sse` is kept, the agent's `key` never is. */
export function geminiPath(model: string, method: 'generateContent' | 'streamGenerateContent', query: URLSearchParams): string {
  const path = `/${GEMINI_API_VERSION}/models/${encodeURIComponent(model)}:${method}`;
  const alt = query.get('alt');
  return alt ? `${path}?alt=${encodeURIComponent(alt)}` : path;
}

/** Gemini authenticates with `x-goog-api-key`, which keeps the credential out of URLs and logs. */
function geminiAuthHeaders(secret: string): Record<string, string> {
  return { 'x-goog-api-key': secret };
}

/** The official client sends `x-goog-api-key`; the REST examples use `?key=`. */
function geminiClientKey(headers: Readonly<Record<string, string>>, query: URLSearchParams): string | null {
  return headers['x-goog-api-key'] || query.get('key') || null;
}

/** The Gemini API family. */
export const geminiApi: ProviderApi = {
  family: 'gemini',
  name: 'Gemini',
  providers: ['gemini'],
  baseUrl: geminiBaseUrl,
  authHeaders: geminiAuthHeaders,
  defaultHeaders: {},
  clientKey: geminiClientKey,
  modelList: geminiModelList,
  modelInfo: geminiModelInfo,
  errorBody: geminiErrorBody,
  streamErrorEvent: geminiStreamErrorEvent,
};
