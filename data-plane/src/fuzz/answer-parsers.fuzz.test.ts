import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzBudget } from './budget.js';
import { messages } from '../providers/anthropic/messages/index.js';
import type { AnswerCodec } from '../providers/codec/answer.js';
import { generateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { responses } from '../providers/openai/responses/index.js';

const mapping = new Map([
  ['[EMAIL_1]', 'jane@example.com'],
  ['[API_KEY_1]', 'sk-"quoted"\\key'],
]);
const text = fc
  .array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('[EMAIL_1]', '[API_KEY_1]', '[EMAIL_', '[', ']')), { maxLength: 6 })
  .map((p) => p.join(''));
const anything = fc.jsonValue({ maxDepth: 4 });
const eventName = fc.option(
  fc.constantFrom('message_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'response.output_text.delta', 'response.completed', 'x'),
);

const families: [string, AnswerCodec][] = [
  ['OpenAI chat completions', chatCompletions.answers],
  ['OpenAI responses', responses.answers],
  ['Anthropic messages', messages.answers],
  ['Gemini generateContent', generateContent.answers],
];

/** Cut points inside a text, as fractions. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
function split(s: string, fractions: number[]): string[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * s.length)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => s.slice(from, at[i] ?? s.length));
}

describe('fuzz: the answer parsers of every API family', () => {
  it.each(families)('%s: any events and bodies are read and restored without an exception', (_name, codec) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(eventName, anything), { maxLength: 8 }), anything, (events, body) => {
        const restorer = codec.restorer(mapping);
        const inspector = codec.inspector();
        for (const [name, json] of events) {
          restorer.event(name, json);
          inspector.event(name, json);
        }
        restorer.end();
        codec.restorer(mapping).body(body);
        inspector.body(body);
        expect(typeof inspector.text()).toBe('string');
        expect(Array.isArray(inspector.toolCalls())).toBe(true);
      }),
      fuzzBudget(300),
    );
  });

  it('OpenAI chat completions: streamed text and tool-call arguments come back restored, however they are cut into events', () => {
    fc.assert(
      fc.property(text, cuts, text, cuts, (content, contentCuts, args, argCuts) => {
        const argsJson = JSON.stringify({ q: args });
        const restorer = chatCompletions.answers.restorer(mapping);
        const payloads = [
          ...split(content, contentCuts).map((piece) => ({ choices: [{ index: 0, delta: { content: piece } }] })),
          ...split(argsJson, argCuts).map((piece) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] } }] })),
        ].flatMap((json) => restorer.event(null, json)?.map((p) => p.json) ?? [json]);
        const sent = [...payloads, ...restorer.end().map((p) => p.json)] as {
          choices: { delta: { content?: string; tool_calls?: { function: { arguments: string } }[] } }[];
        }[];
        const restore = (s: string) => [...mapping].reduce((out, [token, original]) => out.replaceAll(token, original), s);
        expect(sent.map((e) => e.choices[0]?.delta.content ?? '').join('')).toBe(restore(content));
        const sentArgs = sent.map((e) => e.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
        expect(JSON.parse(sentArgs)).toEqual({ q: restore(args) });
      }),
      fuzzBudget(500),
    );
  });
});
