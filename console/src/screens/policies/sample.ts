import { parseDollarInput } from '@/composables/dollar-input';
import type { PolicySampleInput, PolicySampleToolCallInput } from '@/gql/graphql';

/** A tool call as typed in the test panel: its name and its arguments as JSON text. */
export interface SampleToolCall {
  name: string;
  arguments: string;
}

/** Everything the test panel's form holds, as typed. */
export interface SampleForm {
  provider: string;
  api: string;
  endpoint: string;
  model: string;
  system: string;
  messages: { role: string; text: string }[];
  tools: string[];
  toolCalls: SampleToolCall[];
  /** One `name: value` per line. */
  headers: string;
  /** One `name=value` per line. */
  keyLabels: string;
  estimatedInputTokens: number | null;
  maxOutputTokens: number | null;
  /** US dollars, as typed. */
  estimatedCost: string;
  /** Epoch milliseconds; null for "now". */
  at: number | null;
  withResponse: boolean;
  responseText: string;
  responseToolCalls: SampleToolCall[];
}

/** A sample that tests the usual things: one user message to a common model. */
export function emptySampleForm(): SampleForm {
  return {
    provider: 'openai',
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    system: '',
    messages: [{ role: 'user', text: 'Summarize the ticket from jane.doe@example.com and reply to her.' }],
    tools: [],
    toolCalls: [],
    headers: '',
    keyLabels: '',
    estimatedInputTokens: null,
    maxOutputTokens: null,
    estimatedCost: '',
    at: null,
    withResponse: false,
    responseText: '',
    responseToolCalls: [],
  };
}

/** The sample to send, or the first thing in the form that cannot be sent, in a sentence. */
export type BuiltSample = { ok: true; sample: PolicySampleInput } | { ok: false; message: string };

/** Reads `name: value` (or `name=value`) lines into an object; blank lines are skipped. */
export function parsePairs(text: string, separator: ':' | '=', what: string): Record<string, string> | string {
  const pairs: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf(separator);
    if (at <= 0) return `${what}, line ${i + 1}: write it as name${separator === ':' ? ': ' : '='}value.`;
    pairs[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return pairs;
}

function toolCalls(calls: readonly SampleToolCall[], where: string): PolicySampleToolCallInput[] | string {
  const out: PolicySampleToolCallInput[] = [];
  for (const [i, call] of calls.entries()) {
    if (!call.name.trim()) return `${where} #${i + 1} needs a tool name.`;
    const text = call.arguments.trim();
    if (!text) {
      out.push({ name: call.name.trim() });
      continue;
    }
    try {
      out.push({ name: call.name.trim(), arguments: JSON.parse(text) as unknown });
    } catch {
      // Agents send arguments as JSON text; a policy parses it the same way, so keep it as text.
      out.push({ name: call.name.trim(), arguments: text });
    }
  }
  return out;
}

/** Turns the form into `PolicySampleInput`, leaving out what was not filled in (the API's neutral defaults apply). */
export function buildSample(form: SampleForm): BuiltSample {
  const headers = form.headers.trim() ? parsePairs(form.headers, ':', 'Headers') : {};
  if (typeof headers === 'string') return { ok: false, message: headers };
  const labels = form.keyLabels.trim() ? parsePairs(form.keyLabels, '=', 'Key labels') : {};
  if (typeof labels === 'string') return { ok: false, message: labels };
  const calls = toolCalls(form.toolCalls, 'Tool call');
  if (typeof calls === 'string') return { ok: false, message: calls };
  const answerCalls = toolCalls(form.responseToolCalls, 'Answer tool call');
  if (typeof answerCalls === 'string') return { ok: false, message: answerCalls };
  let estimatedCostMicros: number | undefined;
  if (form.estimatedCost.trim()) {
    const cost = parseDollarInput(form.estimatedCost, { allowZero: true });
    if (!cost.ok) return { ok: false, message: `Estimated cost: ${cost.message}` };
    estimatedCostMicros = Number(cost.micros);
  }
  const sample: PolicySampleInput = {
    provider: form.provider || undefined,
    api: form.api || undefined,
    endpoint: form.endpoint.trim() || undefined,
    model: form.model.trim() || undefined,
    system: form.system.trim() ? form.system : undefined,
    messages: form.messages.filter((m) => m.text.trim()).map((m) => ({ role: m.role, text: m.text })),
    tools: form.tools.length ? form.tools : undefined,
    toolCalls: calls.length ? calls : undefined,
    headers: Object.keys(headers).length ? headers : undefined,
    keyLabels: Object.keys(labels).length ? labels : undefined,
    estimatedInputTokens: form.estimatedInputTokens ?? undefined,
    maxOutputTokens: form.maxOutputTokens ?? undefined,
    estimatedCostMicros,
    now: form.at === null ? undefined : new Date(form.at).toISOString(),
    response: form.withResponse ? { text: form.responseText || undefined, toolCalls: answerCalls.length ? answerCalls : undefined } : undefined,
  };
  return { ok: true, sample };
}
