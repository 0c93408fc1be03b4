import type { GatewayError } from '../../errors.js';

function errorType(error: GatewayError): string {
  if (error.code === 'budget_exceeded') return 'insufficient_quota';
  if (error.status === 429) return 'rate_limit_exceeded';
  if (error.status === 401) return 'invalid_request_error';
  if (error.status === 403) return 'permission_error';
  if (error.status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The `error` object of OpenAI's error bodies and events. */
export function openaiErrorObject(error: GatewayError) {
  const param =
    error.code === 'model_required' || error.code === 'model_not_allowed' || error.code === 'model_unpriced' || error.code === 'no_route' ? 'model' : null;
  return { message: error.message, type: errorType(error), param, code: error.code };
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openaiErrorBody(error: GatewayError): string {
  return JSON.stringify({ error: openaiErrorObject(error) });
}

/** How a chat completions stream reports a failure: a `data:` line whose JSON has an `error`; the official client throws on it. */
export function openaiStreamErrorEvent(error: GatewayError): string {
  return `data: ${JSON.stringify({ error: openaiErrorObject(error) })}\n\n`;
}
