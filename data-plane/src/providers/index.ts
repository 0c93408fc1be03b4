import type { ApiFamily, ProviderKind } from '@keyward/shared';
import { anthropicApi, anthropicOperations } from './anthropic/index.js';
import { geminiApi, geminiOperations } from './gemini/index.js';
import { openaiApi, openaiOperations } from './openai/index.js';
import type { ProviderApi } from './types.js';

/** Each API family's upstream description, by family. */
export const PROVIDER_APIS: Readonly<Record<ApiFamily, ProviderApi>> = {
  openai: openaiApi,
  anthropic: anthropicApi,
  gemini: geminiApi,
};

/** Every proxied operation, by family. */
export const OPERATIONS = {
  openai: openaiOperations,
  anthropic: anthropicOperations,
  gemini: geminiOperations,
} as const;

/** True when credentials of this provider kind can serve requests of this API family. */
export function speaks(provider: ProviderKind, family: ApiFamily): boolean {
  return PROVIDER_APIS[family].providers.includes(provider);
}

export type { ModelEntry, Operation, ProviderApi, TokenUsage, StreamObserver, PreparedRequest, RequestShape } from './types.js';
export { parseModelMethod } from './gemini/index.js';
