import { errorMessage, mockId, type MockAnswer, type MockCall } from './answer.js';
import { splitText, type MockError } from './behaviour.js';
import { sse } from './stream.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Anthropic's error body: `{ type: 'error', error: { type, message } }`. */
export function anthropicError(error: MockError): MockAnswer {
  const type = error.type ?? ERROR_TYPES[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { kind: 'json', status: error.status, body: { type: 'error', error: { type, message: errorMessage(error) } } };
}

/** `POST /v1/messages`, streaming with Anthropic's event sequence (tool input as `input_json_delta`s) and not. */
export function messages(call: MockCall): MockAnswer {
  const b = call.behaviour;
  if (b.error) return anthropicError(b.error);
  const id = mockId('msg_');
  const { inputTokens, outputTokens, cachedInputTokens, cacheWriteInputTokens } = b.usage;
  // Anthropic counts cache reads and writes apart from `input_tokens`; the mock reports the uncached rest there.
  const usage = {
    input_tokens: inputTokens - cachedInputTokens - cacheWriteInputTokens,
    cache_creation_input_tokens: cacheWriteInputTokens,
    cache_read_input_tokens: cachedInputTokens,
    output_tokens: outputTokens,
  };
  const stopReason = b.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
  if (call.body.stream !== true) {
    return {
      kind: 'json',
      status: 200,
      body: {
        id,
        type: 'message',
        role: 'assistant',
        model: call.model,
        content: [{ type: 'text', text: b.text }, ...b.toolCalls.map((t, i) => ({ type: 'tool_use', id: `toolu_${i}`, name: t.name, input: t.arguments }))],
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      },
    };
  }
  const head = [
    sse(
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: call.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
      'message_start',
    ),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    sse({ type: 'ping' }, 'ping'),
  ];
  const content = splitText(b.text, b.chunks).map((text) =>
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
  );
  content.push(sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
  b.toolCalls.forEach((t, i) => {
    const index = i + 1;
    const json = JSON.stringify(t.arguments);
    const half = Math.ceil(json.length / 2);
    content.push(
      sse({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_${i}`, name: t.name, input: {} } }, 'content_block_start'),
      sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } }, 'content_block_delta'),
      sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } }, 'content_block_delta'),
      sse({ type: 'content_block_stop', index }, 'content_block_stop'),
    );
  });
  return {
    kind: 'stream',
    plan: {
      contentType: 'text/event-stream; charset=utf-8',
      head,
      content,
      tail: [
        sse({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }, 'message_delta'),
        sse({ type: 'message_stop' }, 'message_stop'),
      ],
      errorEvent: sse({ type: 'error', error: { type: 'overloaded_error', message: 'The mock provider failed mid-stream.' } }, 'error'),
    },
  };
}
