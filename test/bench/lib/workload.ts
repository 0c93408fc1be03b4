/**
 * The one request every target receives: the 4 KB conversation of `policy-eval.ts` (prose,
 * code, a contact e-mail the policy redacts) as an OpenAI chat completion with two tools, sent
 * non-streamed or streamed.
 */
import { benchRequest } from '../policy-eval.js';

/** The chat model the request names (the policy approves it, the key allows it). */
const BENCH_MODEL = 'gpt-4o';

/** Headers every target gets besides its own authentication (the policy tags the agent id). */
export const AGENT_HEADERS: Readonly<Record<string, string>> = { 'x-keyward-agent-id': 'billing-refactor', 'user-agent': 'keyward-bench/1' };

/**
 * The request body; `stream` selects a streamed answer, and `streamShape` asks the bench's mock
 * for another stream shape through `metadata` (which gateways pass on like any other field).
 */
export function chatBody(stream: boolean, streamShape?: { readonly chunks: number; readonly intervalMs: number }): string {
  const ctx = benchRequest();
  const body = {
    model: BENCH_MODEL,
    messages: [{ role: 'system', content: ctx.systemText }, ...ctx.messages.map((m) => ({ role: m.role, content: m.text }))],
    max_tokens: ctx.maxOutputTokens,
    temperature: 0.2,
    // No shell tool: the policy holds shell access outside office hours, and a held request would wait for a person.
    tools: ['read_file', 'write_file'].map((name) => ({
      type: 'function',
      function: {
        name,
        description: `${name.replace('_', ' ')} in the repository`,
        parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      },
    })),
    ...(stream ? { stream: true } : {}),
    ...(streamShape ? { metadata: { bench_chunks: String(streamShape.chunks), bench_interval_ms: String(streamShape.intervalMs) } } : {}),
  };
  return JSON.stringify(body);
}
