import type { Operation, ProviderApi } from '../types.js';
import { geminiAuthHeaders, geminiBaseUrl, geminiClientKey } from './api.js';
import { geminiErrorBody, geminiStreamErrorEvent } from './errors.js';
import { geminiModelInfo, geminiModelList } from './models.js';
import { generateContent, streamGenerateContent } from './generate-content.js';

/** The Gemini API family. */
export const geminiApi: ProviderApi = {
  family: 'gemini',
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

/** The proxied Gemini operations by method name. */
export const geminiOperations = { generateContent, streamGenerateContent } as const satisfies Record<string, Operation>;

export { parseModelMethod } from './api.js';
