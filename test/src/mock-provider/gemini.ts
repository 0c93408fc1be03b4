import { errorMessage, mockId, type MockAnswer, type MockCall } from './answer.js';
import { splitText, type MockError, type ResolvedBehaviour } from './behaviour.js';
import type { StreamPlan } from './stream.js';

const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function errorBody(error: MockError) {
  return { error: { code: error.status, message: errorMessage(error), status: error.type ?? STATUSES[error.status] ?? 'UNKNOWN' } };
}

/** Gemini's error body: `{ error: { code, message, status } }`. */
export function geminiError(error: MockError): MockAnswer {
  return { kind: 'json', status: error.status, body: errorBody(error) };
}

function usageMetadata(b: ResolvedBehaviour, outputSoFar: number) {
  const { inputTokens, cachedInputTokens } = b.usage;
  return {
    promptTokenCount: inputTokens,
    candidatesTokenCount: outputSoFar,
    totalTokenCount: inputTokens + outputSoFar,
    ...(cachedInputTokens > 0 ? { cachedContentTokenCount: cachedInputTokens } : {}),
  };
}

/**
 * `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`. Streams are SSE
 * with `alt=sse` (CRLF-framed, as Google's servers send them) and a JSON array otherwise.
 * Function calls arrive whole in one chunk, as Gemini streams them.
 */
export function generateContent(call: MockCall, stream: boolean): MockAnswer {
  const b = call.behaviour;
  if (b.error) return geminiError(b.error);
  const responseId = mockId('');
  const finishReason = 'STOP';
  const toolParts = b.toolCalls.map((t) => ({ functionCall: { name: t.name, args: t.arguments } }));
  const chunk = (parts: unknown[], outputSoFar: number, finish: boolean) => ({
    candidates: [{ content: { parts, role: 'model' }, index: 0, ...(finish ? { finishReason } : {}) }],
    usageMetadata: usageMetadata(b, outputSoFar),
    modelVersion: call.model,
    responseId,
  });
  if (!stream) {
    return { kind: 'json', status: 200, body: chunk([{ text: b.text }, ...toolParts], b.usage.outputTokens, true) };
  }
  const pieces = splitText(b.text, b.chunks);
  const bodies = pieces.map((text, i) => {
    const last = i === pieces.length - 1 && toolParts.length === 0;
    const soFar = last ? b.usage.outputTokens : Math.floor((b.usage.outputTokens * (i + 1)) / (pieces.length + 1));
    return chunk([{ text }], soFar, last);
  });
  if (toolParts.length > 0) bodies.push(chunk(toolParts, b.usage.outputTokens, true));
  return { kind: 'stream', plan: call.query.get('alt') === 'sse' ? ssePlan(bodies) : arrayPlan(bodies) };
}

function ssePlan(bodies: unknown[]): StreamPlan {
  return {
    contentType: 'text/event-stream',
    head: [],
    content: bodies.map((body) => `data: ${JSON.stringify(body)}\r\n\r\n`),
    tail: [],
    errorEvent: `data: ${JSON.stringify(errorBody({ status: 503, message: 'The mock provider failed mid-stream.' }))}\r\n\r\n`,
  };
}

function arrayPlan(bodies: unknown[]): StreamPlan {
  return {
    contentType: 'application/json; charset=UTF-8',
    head: [],
    content: bodies.map((body, i) => `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(body)}`),
    tail: [']'],
    errorEvent: `,\r\n${JSON.stringify(errorBody({ status: 503, message: 'The mock provider failed mid-stream.' }))}]`,
  };
}
