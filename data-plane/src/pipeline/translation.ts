import { providerFamily, type CredentialConfig } from '@keyward/shared';
import { GatewayError } from '../errors.js';
import type { Operation } from '../providers/index.js';
import { translatorToFamily, type Translator, type UpstreamCall } from '../translate/index.js';

/** A target's request in its own API family: where it goes, its body, and the translator that brings the answer back. */
export interface TranslatedCall {
  readonly translator: Translator;
  readonly call: UpstreamCall;
  readonly body: string;
}

/** Translated requests by target id (`<credential id>/<model>`); a target absent from it speaks the agent's family. */
export type TranslatedCalls = ReadonlyMap<string, TranslatedCall>;

interface Target {
  readonly id: string;
  readonly credential: CredentialConfig;
  readonly model: string;
}

/** The translator a target of another API family needs for the agent's operation, or null when it speaks it. */
function translatorOf(op: Operation, target: Target): Translator | null {
  const family = providerFamily(target.credential.provider);
  return family === op.family ? null : (translatorToFamily(op, family) ?? null);
}

/**
 * The request translated for each target of another API family, before anything goes upstream:
 * a request one of them cannot carry is refused here (400 `untranslatable`, naming the feature),
 * so no fallback is spent on it and no target gets a silently different request. A Gemini agent
 * streaming without `alt=sse` (a JSON array) is refused too: translated streams are SSE.
 */
export function translateCalls(
  op: Operation,
  targets: readonly Target[],
  body: Record<string, unknown>,
  stream: boolean,
  query: URLSearchParams,
): TranslatedCalls {
  const calls = new Map<string, TranslatedCall>();
  for (const target of targets) {
    const translator = translatorOf(op, target);
    if (translator === null || calls.has(target.id)) continue;
    if (stream && !op.isSse(stream, query)) {
      throw new GatewayError(
        'untranslatable',
        400,
        `A stream without alt=sse cannot be translated to ${translator.to.api.name}: ask for the stream with alt=sse (the official clients do).`,
      );
    }
    const translated = translator.request(body, target.model);
    calls.set(target.id, { translator, call: translator.upstream(body, target.model), body: JSON.stringify(translated) });
  }
  return calls;
}

/**
 * The largest output cap a translated target will be asked for (Anthropic needs `max_tokens`: a
 * chat request without one is sent with 4096), or null when no target is translated: budgets
 * reserve for it, so a reservation never falls short of what a translated target may answer.
 */
export function translatedOutputCap(op: Operation, targets: readonly Target[], body: Record<string, unknown>): number | null {
  let cap: number | null = null;
  for (const target of targets) {
    const translator = translatorOf(op, target);
    if (translator === null) continue;
    const translated = translator.request(body, target.model);
    const tokens = translator.upstream(body, target.model).operation.maxOutputTokens(translated);
    if (tokens !== null) cap = Math.max(cap ?? 0, tokens);
  }
  return cap;
}
