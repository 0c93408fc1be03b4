import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { translatorFor } from './index.js';
import { runStream, sseData } from './testing.js';

const translator = translatorFor(messages, chatCompletions)!;
const user = { role: 'user', content: 'hi' };

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null })}\n\n`;

/** An OpenAI chat stream with include_usage as the API sends it: text, two tool calls, the finish chunk, the usage chunk, [DONE]. */
const OPENAI_STREAM = [
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Checking ' }),
  chunk({ content: 'both — ☀' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_B', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }] }),
  chunk({}, 'tool_calls'),
  `data: ${JSON.stringify({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 130, completion_tokens: 20, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 } } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

describe('Anthropic Messages to OpenAI Chat', () => {
  it('turns image blocks into image_url parts and keeps the user’s text beside them', () => {
    const body = translator.request(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        system: 'Be brief.',
        metadata: { user_id: 'u-1' },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
        tool_choice: { type: 'tool', name: 'f' },
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
      },
      'gpt-4o',
    );
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      max_completion_tokens: 64,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      user: 'u-1',
    });
  });

  it.each([
    [{ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }, 'A "document" block'],
    [{ messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }] }] }, 'A "thinking" block in an assistant turn'],
    [{ messages: [user], stop_sequences: ['a', 'b', 'c', 'd', 'e'] }, 'more than 4 stop_sequences'],
    [{ messages: [user], mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'x' }] }, 'MCP servers'],
    [{ messages: [user], system: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] }, 'A "image" block in the system prompt'],
  ])('refuses %j with 400 untranslatable', (extra, feature) => {
    let error: unknown;
    try {
      translator.request({ model: 'claude-sonnet-4-5', max_tokens: 10, ...extra }, 'gpt-4o');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as Error).message).toContain(feature);
  });

  it('answers a refusal, a length stop and cached tokens the way Anthropic reports them', () => {
    const answer = translator.answer({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, refusal: 'I can’t help with that.' }, logprobs: null, finish_reason: 'content_filter' },
      ],
      usage: { prompt_tokens: 130, completion_tokens: 20, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } },
    });
    expect(answer).toEqual({
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o',
      content: [{ type: 'text', text: 'I can’t help with that.' }],
      stop_reason: 'refusal',
      stop_sequence: null,
      usage: { input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 20 },
    });
    expect(translator.answer({ choices: [{ message: { content: 'x' }, finish_reason: 'length' }] })).toMatchObject({ stop_reason: 'max_tokens' });
  });

  it('streams Anthropic’s event sequence whatever the byte boundaries', () => {
    const whole = runStream(translator.stream({}), OPENAI_STREAM, OPENAI_STREAM.length);
    expect(runStream(translator.stream({}), OPENAI_STREAM, 1)).toBe(whole);
    expect(runStream(translator.stream({}), OPENAI_STREAM, 9)).toBe(whole);
    expect([...whole.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const events = sseData(whole);
    expect(events[0]).toMatchObject({ message: { id: 'msg_chatcmpl-9', model: 'gpt-4o-2024-08-06', role: 'assistant', content: [] } });
    expect(events.filter((e) => e.type === 'content_block_start').map((e) => [e.index, e.content_block])).toEqual([
      [0, { type: 'text', text: '' }],
      [1, { type: 'tool_use', id: 'call_A', name: 'get_weather', input: {} }],
      [2, { type: 'tool_use', id: 'call_B', name: 'get_weather', input: {} }],
    ]);
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 20 },
    });
  });

  it('reports an error chunk, or a stream cut before [DONE], as Anthropic’s error event', () => {
    const failed = runStream(translator.stream({}), `${chunk({ content: 'a' })}data: {"error":{"message":"Server overloaded","type":"server_error"}}\n\n`, 16);
    expect(failed).toContain('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"Server overloaded"}}');
    const cut = runStream(translator.stream({}), OPENAI_STREAM.slice(0, 500), 16);
    expect(cut.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\n/);
    expect(cut).not.toContain('message_stop');
  });

  it('writes OpenAI’s error bodies as Anthropic’s', () => {
    expect(JSON.parse(translator.error(400, { error: { message: 'Invalid value for temperature.', type: 'invalid_request_error', code: null } }))).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'Invalid value for temperature.' },
    });
  });

  it('never passes on what a provider says when it refuses the credential, which may quote it', () => {
    const body = translator.error(401, {
      error: { message: 'Incorrect API key provided: sk-proj-****4f2a.', type: 'invalid_request_error', code: 'invalid_api_key' },
    });
    expect(body).not.toContain('sk-proj');
    expect(JSON.parse(body)).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'The provider refused the credential of this route (status 401).' },
    });
  });
});
