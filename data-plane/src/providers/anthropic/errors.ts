import type { GatewayError } from '../../errors.js';

const TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

function errorObject(error: GatewayError) {
  const type = TYPES[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: error.message } };
}

/** Anthropic's error body: `{ type: 'error', error: { type, message } }`. */
export function anthropicErrorBody(error: GatewayError): string {
  return JSON.stringify(errorObject(error));
}

/** Anthropic streams report failure with an `error` event carrying the same body. */
export function anthropicStreamErrorEvent(error: GatewayError): string {
  return `event: error\ndata: ${JSON.stringify(errorObject(error))}\n\n`;
}
