import type { ApiFamily, ProviderKind } from '@keyward/shared';
import { anthropicApi, anthropicOperations } from './anthropic/index.js';
import { geminiApi, geminiOperations } from './gemini/index.js';
import { openaiApi, openaiOperations } from './openai/index.js';
import { proxyRoutes, type ProxyRoute } from './routes.js';
import type { Operation, ProviderApi } from './types.js';

/** Each API family's upstream description, by family. */
export const PROVIDER_APIS: Readonly<Record<ApiFamily, ProviderApi>> = {
  openai: openaiApi,
  anthropic: anthropicApi,
  gemini: geminiApi,
};

/** Every proxied operation (each family lists its own). */
export const OPERATIONS: readonly Operation[] = [...openaiOperations, ...anthropicOperations, ...geminiOperations];

/** The routes the data plane proxies, derived from the operations. */
export const PROXY_ROUTES: readonly ProxyRoute[] = proxyRoutes(OPERATIONS);

/** True when credentials of this provider kind can serve requests of this API family. */
export function speaks(provider: ProviderKind, family: ApiFamily): boolean {
  return PROVIDER_APIS[family].providers.includes(provider);
}

export type { ErrorShape, ModelEntry, Operation, ProviderApi, TokenUsage, StreamObserver, PreparedRequest, RequestShape } from './types.js';
export type { ProxyRoute, ResolvedOperation } from './routes.js';
export { EXTRACT_ALL, type ExtractNeeds, type ExtractedRequest, type RequestCodec } from './codec/request.js';
export type { AnswerCodec, AnswerInspector, AnswerRestorer, Payload } from './codec/answer.js';
