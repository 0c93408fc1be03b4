import type { Operation, ProviderApi } from '../types.js';
import { anthropicAuthHeaders, anthropicBaseUrl, anthropicClientKey, ANTHROPIC_DEFAULT_VERSION } from './api.js';
import { anthropicErrorBody, anthropicStreamErrorEvent } from './errors.js';
import { anthropicModelInfo, anthropicModelList } from './models.js';
import { messages } from './messages.js';

/** The Anthropic API family. */
export const anthropicApi: ProviderApi = {
  family: 'anthropic',
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

/** The proxied Anthropic operations by endpoint label. */
export const anthropicOperations = { messages } as const satisfies Record<string, Operation>;
