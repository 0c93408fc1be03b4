import { errorMessage, mockId, type MockAnswer, type MockCall } from './answer.js';
import { splitText, type MockError, type ResolvedBehaviour } from './behaviour.js';
import { sse } from './stream.js';

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openaiError(error: MockError): MockAnswer {
  const type = error.type ?? (error.status === 429 ? 'rate_limit_exceeded' : error.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { kind: 'json', status: error.status, body: { error: { message: errorMessage(error), type, param: null, code: error.code ?? null } } };
}

function chatUsage(b: ResolvedBehaviour) {
  const { inputTokens, outputTokens, cachedInputTokens } = b.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: cachedInputTokens },
  };
}

/** `POST /v1/chat/completions`, streaming (with or without `stream_options.include_usage`) and not. */
export function chatCompletions(call: MockCall): MockAnswer {
  const b = call.behaviour;
  if (b.error) return openaiError(b.error);
  const id = mockId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const finishReason = b.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  if (call.body.stream !== true) {
    const toolCalls = b.toolCalls.map((t, i) => ({
      id: `call_${i}`,
      type: 'function',
      function: { name: t.name, arguments: JSON.stringify(t.arguments) },
    }));
    return {
      kind: 'json',
      status: 200,
      body: {
        id,
        object: 'chat.completion',
        created,
        model: call.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: b.text, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage: chatUsage(b),
        system_fingerprint: 'fp_mock',
      },
    };
  }
  const streamOptions = call.body.stream_options as { include_usage?: boolean } | undefined;
  const includeUsage = streamOptions?.include_usage === true;
  const chunk = (delta: unknown, finish: string | null) =>
    sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model: call.model,
      system_fingerprint: 'fp_mock',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
  const content = splitText(b.text, b.chunks).map((piece) => chunk({ content: piece }, null));
  b.toolCalls.forEach((t, index) => {
    const args = JSON.stringify(t.arguments);
    const half = Math.ceil(args.length / 2);
    content.push(chunk({ tool_calls: [{ index, id: `call_${index}`, type: 'function', function: { name: t.name, arguments: '' } }] }, null));
    content.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] }, null));
    content.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }, null));
  });
  const tail = [chunk({}, finishReason)];
  if (includeUsage) {
    tail.push(sse({ id, object: 'chat.completion.chunk', created, model: call.model, system_fingerprint: 'fp_mock', choices: [], usage: chatUsage(b) }));
  }
  tail.push(sse('[DONE]'));
  return {
    kind: 'stream',
    plan: {
      contentType: 'text/event-stream; charset=utf-8',
      head: [chunk({ role: 'assistant', content: '', refusal: null }, null)],
      content,
      tail,
      errorEvent: sse({ error: { message: 'The mock provider failed mid-stream.', type: 'server_error', param: null, code: null } }),
    },
  };
}

/** `POST /v1/responses`, with the event sequence the Responses API streams. */
export function responses(call: MockCall): MockAnswer {
  const b = call.behaviour;
  if (b.error) return openaiError(b.error);
  const id = mockId('resp_');
  const messageId = mockId('msg_');
  const createdAt = Math.floor(Date.now() / 1000);
  const { inputTokens, outputTokens, cachedInputTokens } = b.usage;
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedInputTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const message = {
    type: 'message',
    id: messageId,
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: b.text, annotations: [] }],
  };
  const calls = b.toolCalls.map((t, i) => ({
    type: 'function_call',
    id: `fc_${i}`,
    call_id: `call_${i}`,
    name: t.name,
    arguments: JSON.stringify(t.arguments),
    status: 'completed',
  }));
  const response = (status: string, withOutput: boolean) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    model: call.model,
    output: withOutput ? [message, ...calls] : [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: withOutput ? usage : null,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
  });
  if (call.body.stream !== true) return { kind: 'json', status: 200, body: response('completed', true) };

  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => sse({ type, sequence_number: seq++, ...data }, type);
  const head = [
    ev('response.created', { response: response('in_progress', false) }),
    ev('response.in_progress', { response: response('in_progress', false) }),
    ev('response.output_item.added', { output_index: 0, item: { ...message, status: 'in_progress', content: [] } }),
    ev('response.content_part.added', { item_id: messageId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
  ];
  const content = splitText(b.text, b.chunks).map((delta) =>
    ev('response.output_text.delta', { item_id: messageId, output_index: 0, content_index: 0, delta }),
  );
  content.push(
    ev('response.output_text.done', { item_id: messageId, output_index: 0, content_index: 0, text: b.text }),
    ev('response.content_part.done', { item_id: messageId, output_index: 0, content_index: 0, part: message.content[0] }),
    ev('response.output_item.done', { output_index: 0, item: message }),
  );
  calls.forEach((fc, i) => {
    const outputIndex = i + 1;
    content.push(
      ev('response.output_item.added', { output_index: outputIndex, item: { ...fc, arguments: '', status: 'in_progress' } }),
      ev('response.function_call_arguments.delta', { item_id: fc.id, output_index: outputIndex, delta: fc.arguments }),
      ev('response.function_call_arguments.done', { item_id: fc.id, output_index: outputIndex, arguments: fc.arguments }),
      ev('response.output_item.done', { output_index: outputIndex, item: fc }),
    );
  });
  return {
    kind: 'stream',
    plan: {
      contentType: 'text/event-stream; charset=utf-8',
      head,
      content,
      tail: [ev('response.completed', { response: response('completed', true) })],
      errorEvent: sse({ type: 'error', code: 'server_error', message: 'The mock provider failed mid-stream.', param: null, sequence_number: 999 }, 'error'),
    },
  };
}

/** `POST /v1/embeddings`, honouring `encoding_format: 'base64'` the way the official client requests it. */
export function embeddings(call: MockCall): MockAnswer {
  const b = call.behaviour;
  if (b.error) return openaiError(b.error);
  const input = call.body.input;
  const inputs = Array.isArray(input) ? input : [input];
  const base64 = call.body.encoding_format === 'base64';
  const data = inputs.map((_, index) => {
    const vector = [0.1 * (index + 1), 0.2, 0.3, 0.4];
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  return {
    kind: 'json',
    status: 200,
    body: { object: 'list', data, model: call.model, usage: { prompt_tokens: b.usage.inputTokens, total_tokens: b.usage.inputTokens } },
  };
}

/** `GET /v1/models`. */
export function models(ids: readonly string[]): MockAnswer {
  return {
    kind: 'json',
    status: 200,
    body: { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'mock' })) },
  };
}
