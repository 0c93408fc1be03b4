import type { GatewayError } from '../../errors.js';

function errorType(error: GatewayError): string {
  if (error.code === 'budget_exceeded') return 'insufficient_quota';
  if (error.status === 429) return 'rate_limit_exceeded';
  if (error.status === 401) return 'invalid_request_error';
  if (error.status === 403) return 'permission_error';
  if (error.status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function errorObject(error: GatewayError) {
  const param = error.code === 'model_required' || error.code === 'model_not_allowed' || error.code === 'model_unpriced' || error.code === 'no_route' ? 'model' : null;
  return { message: error.message, type: errorType(error), param, code: error.code };
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openaiErrorBody(error: GatewayError): string {
  return JSON.stringify({ error: errorObject(error) });
}

/**
 * How an OpenAI stream reports a failure: chat completions send a `data:` line whose JSON has
 * an `error`; the Responses API sends an `error` event. The official client throws on either.
 */
export function openaiStreamErrorEvent(error: GatewayError, endpoint: string): string {
  const object = errorObject(error);
  if (endpoint === 'responses') {
    const data = { type: 'error', code: object.code, message: object.message, param: object.param, error: object };
    return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
  }
  return `data: ${JSON.stringify({ error: object })}\n\n`;
}
