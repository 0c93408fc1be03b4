import { describe, expect, it } from 'vitest';
import { sseEvent } from '../steps/response-filter.js';
import { SseParser, type SseEvent } from '../streaming/sse-parser.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { streamGenerateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { responses } from '../providers/openai/responses/index.js';
import type { Operation } from '../providers/types.js';
import { restoreFilter } from './restore-filter.js';

const mapping = new Map([['[EMAIL_1]', 'jane@example.com']]);

/** Runs events through a restore filter and returns the events the agent receives. */
async function through(op: Operation, events: SseEvent[]): Promise<SseEvent[]> {
  const filter = restoreFilter(op.answers, mapping);
  const out: SseEvent[] = [];
  for (const event of events) out.push(...filter.event(event).send);
  out.push(...(await filter.end()).send);
  return out;
}

const json = (event: SseEvent) => JSON.parse(event.data!.toString()) as Record<string, any>;
const chat = (delta: object, finish: string | null = null) =>
  sseEvent(JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }));

describe('the restore filter', () => {
  it('sends events without placeholders as the provider’s own bytes', async () => {
    const raw = new SseParser().push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"plain"}}]}\n\n'))[0];
    const [out] = await through(chatCompletions, [raw]);
    expect(out).toBe(raw);
  });

  it('restores an OpenAI chat placeholder split across deltas, holding back only the unfinished tail', async () => {
    const out = await through(chatCompletions, [chat({ content: 'Mail [EMA' }), chat({ content: 'IL_1] now' }), chat({}, 'stop'), sseEvent('[DONE]')]);
    expect(out.map((e) => (e.data!.toString() === '[DONE]' ? '[DONE]' : (json(e).choices[0].delta.content ?? '')))).toEqual([
      'Mail ',
      'jane@example.com now',
      '',
      '[DONE]',
    ]);
  });

  it('releases a held-back tail that never became a placeholder with the finish chunk', async () => {
    const out = await through(chatCompletions, [chat({ content: 'array [EM' }), chat({}, 'stop')]);
    expect(out.map((e) => json(e).choices[0].delta.content ?? '')).toEqual(['array ', '[EM']);
  });

  it('writes originals JSON-escaped into streamed tool-call arguments', async () => {
    const quoted = new Map([['[NAME_1]', 'Jane "JJ" Doe']]);
    const filter = restoreFilter(chatCompletions.answers, quoted);
    const args = ['{"who":"[NA', 'ME_1]"}'].map(
      (a, i) =>
        filter.event(chat({ tool_calls: [{ index: 0, ...(i === 0 ? { id: 'x', function: { name: 'f', arguments: a } } : { function: { arguments: a } }) }] }))
          .send,
    );
    const text = args
      .flat()
      .map((e) => json(e).choices[0].delta.tool_calls[0].function.arguments)
      .join('');
    expect(JSON.parse(text)).toEqual({ who: 'Jane "JJ" Doe' });
  });

  it('releases a held-back Anthropic tail before the block stops', async () => {
    const delta = (text: string) =>
      sseEvent(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }), 'content_block_delta');
    const out = await through(messages, [delta('to [EMAIL'), sseEvent(JSON.stringify({ type: 'content_block_stop', index: 0 }), 'content_block_stop')]);
    expect(out.map((e) => [e.event, json(e).delta?.text])).toEqual([
      ['content_block_delta', 'to '],
      ['content_block_delta', '[EMAIL'],
      ['content_block_stop', undefined],
    ]);
  });

  it('restores Gemini chunks and appends a held-back tail to the finishing chunk', async () => {
    const chunk = (text: string, finish = false) =>
      sseEvent(JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] }, ...(finish ? { finishReason: 'STOP' } : {}) }] }));
    const out = await through(streamGenerateContent, [chunk('hi [EMAIL_'), chunk('1] and [x', true)]);
    expect(out.map((e) => json(e).candidates[0].content.parts[0].text)).toEqual(['hi ', 'jane@example.com and [x']);
  });

  it('restores the Responses API’s whole texts and releases a tail before the part is done', async () => {
    const ev = (type: string, data: object) => sseEvent(JSON.stringify({ type, ...data }), type);
    const out = await through(responses, [
      ev('response.output_text.delta', { item_id: 'm', output_index: 0, content_index: 0, delta: 'x [EMAIL_1' }),
      ev('response.output_text.done', { item_id: 'm', output_index: 0, content_index: 0, text: 'x [EMAIL_1' }),
      ev('response.completed', { response: { output: [{ type: 'message', content: [{ type: 'output_text', text: 'a [EMAIL_1]' }] }] } }),
    ]);
    expect(out.map((e) => [e.event, json(e).delta ?? json(e).text ?? json(e).response?.output[0].content[0].text])).toEqual([
      ['response.output_text.delta', 'x '],
      ['response.output_text.delta', '[EMAIL_1'],
      ['response.output_text.done', 'x [EMAIL_1'],
      ['response.completed', 'a jane@example.com'],
    ]);
  });
});
