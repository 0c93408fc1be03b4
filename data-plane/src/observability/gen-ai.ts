import type { ApiFamily, ProviderKind } from '@keyward/shared';

/**
 * The OpenTelemetry GenAI semantic conventions as Keyward fills them in: operation and provider
 * names, request parameters and the facts of an answer. Names are written out here rather than
 * imported from the conventions' incubating entry point, which may rename them between releases.
 * Only parameters and counts: no prompt or completion text ever becomes an attribute.
 */

/** `gen_ai.operation.name` for a Keyward endpoint. */
export function genAiOperation(endpoint: string): string {
  switch (endpoint) {
    case 'chat.completions':
    case 'responses':
    case 'messages':
      return 'chat';
    case 'generateContent':
    case 'streamGenerateContent':
      return 'generate_content';
    default:
      return endpoint;
  }
}

/** `gen_ai.provider.name` (current) and `gen_ai.system` (the older name) for the provider called, or the API family spoken. */
export function genAiProvider(provider: ProviderKind | null, family: ApiFamily): { name: string; system: string } {
  const kind = provider ?? family;
  if (kind === 'gemini') return { name: 'gcp.gemini', system: 'gemini' };
  return { name: kind, system: kind };
}

/** Request parameters in the body of any of the three families, as `gen_ai.request.*` attributes. */
export function genAiRequestAttributes(body: Record<string, unknown>, maxOutputTokens: number | null): Record<string, number | string | string[]> {
  const config = isObject(body.generationConfig) ? body.generationConfig : body;
  const attributes: Record<string, number | string | string[]> = {};
  if (maxOutputTokens !== null && maxOutputTokens > 0) attributes['gen_ai.request.max_tokens'] = maxOutputTokens;
  const numbers: [string, unknown][] = [
    ['gen_ai.request.temperature', config.temperature],
    ['gen_ai.request.top_p', config.top_p ?? config.topP],
    ['gen_ai.request.top_k', config.top_k ?? config.topK],
    ['gen_ai.request.frequency_penalty', config.frequency_penalty ?? config.frequencyPenalty],
    ['gen_ai.request.presence_penalty', config.presence_penalty ?? config.presencePenalty],
    ['gen_ai.request.seed', config.seed],
    ['gen_ai.request.choice.count', config.n ?? config.candidateCount],
  ];
  for (const [name, value] of numbers) if (typeof value === 'number' && Number.isFinite(value)) attributes[name] = value;
  const stop = config.stop ?? config.stop_sequences ?? config.stopSequences;
  if (typeof stop === 'string') attributes['gen_ai.request.stop_sequences'] = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) attributes['gen_ai.request.stop_sequences'] = stop;
  const encoding = body.encoding_format;
  if (typeof encoding === 'string') attributes['gen_ai.request.encoding_formats'] = [encoding];
  return attributes;
}

/** What an answer says about itself: `gen_ai.response.id`, `.model` and `.finish_reasons`. */
export class AnswerFacts {
  id: string | null = null;
  model: string | null = null;
  readonly finishReasons: string[] = [];

  /**
   * Reads one answer, stream event or array of them: OpenAI chat (`id`, `model`,
   * `choices[].finish_reason`), Responses (`response.{id,model,status}`), Anthropic
   * (`message.{id,model}`, `stop_reason`, `delta.stop_reason`) and Gemini (`responseId`,
   * `modelVersion`, `candidates[].finishReason`).
   */
  observe(json: unknown): void {
    if (Array.isArray(json)) {
      for (const item of json) this.observe(item);
      return;
    }
    if (!isObject(json)) return;
    const inner = isObject(json.response) ? json.response : isObject(json.message) ? json.message : json;
    const id = inner.id ?? inner.responseId;
    if (this.id === null && typeof id === 'string' && id) this.id = id;
    const model = inner.model ?? inner.modelVersion;
    if (typeof model === 'string' && model) this.model = model;
    const choices = Array.isArray(json.choices) ? json.choices : Array.isArray(json.candidates) ? json.candidates : [];
    for (const choice of choices) if (isObject(choice)) this.finish(choice.finish_reason ?? choice.finishReason);
    this.finish(inner.stop_reason);
    if (isObject(json.delta)) this.finish(json.delta.stop_reason);
    if (inner.object === 'response' && inner.status !== 'in_progress' && inner.status !== 'queued') this.finish(inner.status);
  }

  private finish(reason: unknown): void {
    if (typeof reason === 'string' && reason && !this.finishReasons.includes(reason)) this.finishReasons.push(reason);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
