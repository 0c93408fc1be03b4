import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { translatorFor } from './index.js';
import { chatChunks, runStream, withoutCreated } from './testing.js';

const translator = translatorFor(chatCompletions, messages)!;
const user = { role: 'user', content: 'hi' };

/** An Anthropic stream as the API sends it: pings, a text block, a tool_use block with its input in pieces. */
const ANTHROPIC_STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":20,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: ping\ndata: {"type": "ping"}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check — "}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"one moment."}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Par"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"is\\"}"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":42}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join('');

describe('OpenAI Chat to Anthropic Messages', () => {
  it('is the translator for that pair only', () => {
    expect(translator.from).toBe(chatCompletions);
    expect(translatorFor(chatCompletions, chatCompletions)).toBeUndefined();
    expect(translatorFor(messages, messages)).toBeUndefined();
  });

  it('sends the request to /v1/messages, streamed when the agent streams', () => {
    expect(translator.upstream({ messages: [user], stream: true }, 'claude-sonnet-4-5')).toMatchObject({
      operation: messages,
      path: '/v1/messages',
      stream: true,
    });
  });

  it('merges consecutive tool results into one user turn and keeps a multi-part system prompt', () => {
    const body = translator.request(
      {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Rule one.' }] },
          { role: 'developer', content: 'Rule two.' },
          user,
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
              { id: 'b', type: 'function', function: { name: 'g', arguments: '{"x":1}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: 'A' },
          { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'B' }] },
        ],
        max_completion_tokens: 10,
        user: 'agent-7',
        store: false,
        stream_options: { include_usage: true },
      },
      'claude-sonnet-4-5',
    );
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      system: [
        { type: 'text', text: 'Rule one.' },
        { type: 'text', text: 'Rule two.' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'a', name: 'f', input: {} },
            { type: 'tool_use', id: 'b', name: 'g', input: { x: 1 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 'A' }] },
            { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: 'B' }] },
          ],
        },
      ],
      metadata: { user_id: 'agent-7' },
    });
  });

  it('asks for a JSON schema response format through structured outputs', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    expect(
      translator.request({ messages: [user], response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } } }, 'm'),
    ).toMatchObject({
      output_config: { format: { type: 'json_schema', schema } },
    });
  });

  it('leaves empty text parts out, as Anthropic refuses empty text blocks', () => {
    const body = translator.request(
      {
        messages: [
          user,
          { role: 'assistant', content: [{ type: 'text', text: '' }], tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        ],
      },
      'm',
    );
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] },
    ]);
  });

  it.each([
    [{ messages: [user], top_logprobs: 2 }, 'top_logprobs'],
    [{ messages: [user], response_format: { type: 'json_object' } }, 'JSON mode without a schema'],
    [{ messages: [user], frobnicate: 1 }, 'The request field "frobnicate"'],
    [{ messages: [user, { role: 'system', content: 'late' }] }, 'A system message after the conversation started'],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, 'Audio input'],
    [{ messages: [{ role: 'user', name: 'bob', content: 'hi' }] }, 'Message names'],
    [{ messages: [user], tools: [{ type: 'function', function: { name: 'f', strict: true, parameters: {} } }] }, 'Strict function schemas'],
    [{ messages: [user], tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'The tool type "custom"'],
    [{ messages: [{ role: 'function', content: 'x' }] }, 'The message role "function"'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }] }, 'A data URL that is not base64'],
  ])('refuses %j with 400 untranslatable', (body, feature) => {
    let error: unknown;
    try {
      translator.request(body, 'claude-sonnet-4-5');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'untranslatable', status: 400 });
    expect((error as Error).message).toContain(feature);
    expect((error as Error).message).toContain('cannot be translated to Anthropic Messages');
  });

  it('answers with every stop reason mapped, and input tokens that include cache writes and reads', () => {
    const answer = (stop_reason: string) =>
      translator.answer({
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'Hi' }],
        stop_reason,
        stop_sequence: null,
        usage: { input_tokens: 20, cache_creation_input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 3 },
      }) as { choices: { finish_reason: string }[]; usage: unknown };
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal'].map((r) => answer(r).choices[0].finish_reason)).toEqual([
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
    ]);
    expect(answer('end_turn').usage).toEqual({ prompt_tokens: 125, completion_tokens: 3, total_tokens: 128, prompt_tokens_details: { cached_tokens: 100 } });
    expect(translator.usage({ usage: { input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 3 } })).toEqual({
      inputTokens: 120,
      outputTokens: 3,
      cachedInputTokens: 100,
    });
  });

  it('streams the same chunks whatever the byte boundaries, ending with the usage chunk and [DONE]', () => {
    const body = { messages: [user], stream: true, stream_options: { include_usage: true } };
    const whole = runStream(translator.stream(body), ANTHROPIC_STREAM, ANTHROPIC_STREAM.length);
    expect(withoutCreated(runStream(translator.stream(body), ANTHROPIC_STREAM, 1))).toBe(withoutCreated(whole));
    expect(withoutCreated(runStream(translator.stream(body), ANTHROPIC_STREAM, 7))).toBe(withoutCreated(whole));
    expect(whole.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const chunks = chatChunks(whole);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'Let me check — ' },
      { content: 'one moment.' },
      { tool_calls: [{ index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city": "Par' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] },
      {},
      undefined,
    ]);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 125, completion_tokens: 42, total_tokens: 167, prompt_tokens_details: { cached_tokens: 100 } });
    expect(new Set(chunks.map((c) => `${c.id} ${c.model}`))).toEqual(new Set(['chatcmpl-msg_01 claude-sonnet-4-5']));
  });

  it('leaves the usage chunk out when the agent did not ask for it', () => {
    const text = runStream(translator.stream({ messages: [user], stream: true }), ANTHROPIC_STREAM, 64);
    expect(text).not.toContain('"usage"');
  });

  it('turns an error event, or a stream cut before message_stop, into the error event OpenAI clients throw on', () => {
    const failed = runStream(
      translator.stream({ messages: [user], stream: true }),
      `${ANTHROPIC_STREAM.slice(0, 400)}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`,
      50,
    );
    expect(chatChunks(failed).at(-1)).toMatchObject({ error: { message: 'Overloaded', type: 'server_error' } });
    const cut = runStream(translator.stream({ messages: [user], stream: true }), ANTHROPIC_STREAM.slice(0, 600), 50);
    expect(chatChunks(cut).at(-1)).toMatchObject({ error: { code: 'stream_interrupted' } });
    expect(cut).not.toContain('[DONE]');
  });

  it('writes Anthropic’s error bodies as OpenAI’s, keeping the message', () => {
    expect(JSON.parse(translator.error(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))).toEqual({
      error: { message: 'Overloaded', type: 'server_error', param: null, code: 'upstream_error' },
    });
    expect(JSON.parse(translator.error(400, 'not json'))).toMatchObject({
      error: { message: 'The provider answered with status 400.', type: 'invalid_request_error' },
    });
  });
});
