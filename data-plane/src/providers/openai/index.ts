import type { Operation, ProviderApi } from '../types.js';
import { bearerToken, openaiAuthHeaders, openaiBaseUrl } from './api.js';
import { chatCompletions } from './chat-completions.js';
import { embeddings } from './embeddings.js';
import { openaiErrorBody, openaiStreamErrorEvent } from './errors.js';
import { openaiModelInfo, openaiModelList } from './models.js';
import { responses } from './responses.js';

/** The OpenAI API family, spoken by `openai` and `openai_compatible` credentials. */
export const openaiApi: ProviderApi = {
  family: 'openai',
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

/** The proxied OpenAI operations by endpoint label. */
export const openaiOperations = {
  'chat.completions': chatCompletions,
  responses,
  embeddings,
} as const satisfies Record<string, Operation>;
