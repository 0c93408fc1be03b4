import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzBudget } from './budget.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { EXTRACT_ALL, type RequestCodec } from '../providers/codec/request.js';
import { generateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { embeddings } from '../providers/openai/embeddings/index.js';
import { responses } from '../providers/openai/responses/index.js';

/** A value that redaction replaces with `TOKEN`, as a detector finding would be. */
const SECRET = 'sk-proj-SECRET';
const TOKEN = '[API_KEY_1]';
const redact = (text: string) => text.replaceAll(SECRET, TOKEN);
const restore = (text: string) => text.replaceAll(TOKEN, SECRET);

/** Text the agent wrote: anything, sometimes with the secret inside. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([a, b]) => `${a}${SECRET}${b}`),
);
const anything = fc.jsonValue({ maxDepth: 2 });
/** A value near `shape` (one of its fields replaced by anything, or dropped), or `shape` itself. */
const near = <T extends Record<string, unknown>>(shape: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 3, arbitrary: shape },
    fc.tuple(shape, anything).map(([value, other]) => {
      const keys = Object.keys(value);
      return keys.length === 0 ? value : { ...value, [keys[keys.length - 1]]: other };
    }),
    anything,
  );
const part = near(fc.record({ type: fc.constantFrom('text', 'input_text', 'output_text', 'image_url', 'tool_result', 'tool_use'), text }));
const content = fc.oneof(text, fc.array(part, { maxLength: 3 }), fc.constant(null));
const toolCall = near(fc.record({ id: fc.string(), type: fc.constant('function'), function: near(fc.record({ name: fc.string(), arguments: text })) }));

const openaiChat = fc.record(
  {
    model: fc.string(),
    messages: fc.array(
      near(
        fc.record(
          { role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'), content, tool_calls: fc.array(toolCall, { maxLength: 2 }) },
          { requiredKeys: ['role'] },
        ),
      ),
      { maxLength: 4 },
    ),
    tools: fc.array(near(fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.string() }) })), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const openaiResponses = fc.record(
  {
    model: fc.string(),
    instructions: text,
    input: fc.oneof(
      text,
      fc.array(
        near(
          fc.record({
            type: fc.constantFrom('message', 'function_call', 'function_call_output'),
            role: fc.constantFrom('user', 'assistant', 'developer'),
            content,
            arguments: text,
            output: text,
          }),
        ),
        { maxLength: 4 },
      ),
    ),
  },
  { requiredKeys: [] },
);
const anthropicMessages = fc.record(
  {
    model: fc.string(),
    system: fc.oneof(text, fc.array(part, { maxLength: 2 })),
    messages: fc.array(
      near(
        fc.record({
          role: fc.constantFrom('user', 'assistant'),
          content: fc.oneof(
            content,
            fc.array(near(fc.record({ type: fc.constant('tool_use'), name: fc.string(), input: fc.dictionary(fc.string({ maxLength: 4 }), text) })), {
              maxLength: 2,
            }),
          ),
        }),
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);
const geminiPart = near(fc.record({ text }, { requiredKeys: [] }));
const geminiContent = fc.record(
  {
    systemInstruction: near(fc.record({ parts: fc.array(geminiPart, { maxLength: 2 }) })),
    contents: fc.array(near(fc.record({ role: fc.constantFrom('user', 'model'), parts: fc.array(geminiPart, { maxLength: 3 }) })), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const openaiEmbeddings = fc.record({ model: fc.string(), input: fc.oneof(text, fc.array(text, { maxLength: 3 }), anything) }, { requiredKeys: [] });

const families: [string, RequestCodec, fc.Arbitrary<Record<string, unknown>>][] = [
  ['OpenAI chat completions', chatCompletions.request, openaiChat],
  ['OpenAI responses', responses.request, openaiResponses],
  ['OpenAI embeddings', embeddings.request, openaiEmbeddings],
  ['Anthropic messages', messages.request, anthropicMessages],
  ['Gemini generateContent', generateContent.request, geminiContent],
];
const anyObject = fc.dictionary(fc.string({ maxLength: 8 }), anything, { maxKeys: 4 });

describe('fuzz: the request body walkers of every API family', () => {
  it.each(families)('%s: any body is read without an exception, and a redacted body restores to the original exactly', (_name, codec, shaped) => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: shaped }, anyObject), (body) => {
        const before = structuredClone(body);
        codec.extract(body, EXTRACT_ALL);
        codec.transcript(body);
        // Nothing to change: the very same object, so the agent's own bytes are forwarded.
        expect(codec.mapTexts(body, (t) => t)).toBe(body);
        const redacted = codec.mapTexts(body, redact);
        expect(codec.mapTexts(redacted, restore)).toEqual(body);
        expect(body).toEqual(before);
        // What policies read of the redacted body holds no secret.
        expect(JSON.stringify(codec.extract(redacted, EXTRACT_ALL))).not.toContain(SECRET);
      }),
      fuzzBudget(300),
    );
  });
});
