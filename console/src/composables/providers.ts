import type { ProviderKind } from '@/gql/graphql';

/** How each provider is named in the console, and what its secret is called there. */
export const PROVIDERS: Record<ProviderKind, { label: string; secretLabel: string; needsBaseUrl: boolean }> = {
  OPENAI: { label: 'OpenAI', secretLabel: 'OpenAI API key', needsBaseUrl: false },
  ANTHROPIC: { label: 'Anthropic', secretLabel: 'Anthropic API key', needsBaseUrl: false },
  GEMINI: { label: 'Google Gemini', secretLabel: 'Gemini API key', needsBaseUrl: false },
  OPENAI_COMPATIBLE: { label: 'OpenAI-compatible', secretLabel: 'API key', needsBaseUrl: true },
};

/** Options for a provider picker. */
export const PROVIDER_OPTIONS = (Object.keys(PROVIDERS) as ProviderKind[]).map((value) => ({ value, label: PROVIDERS[value].label }));
