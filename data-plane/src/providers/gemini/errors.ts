import type { GatewayError } from '../../errors.js';

const STATUSES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function errorObject(error: GatewayError) {
  return {
    error: { code: error.status, message: error.message, status: STATUSES[error.status] ?? (error.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') },
  };
}

/** Gemini's error body: `{ error: { code, message, status } }`. */
export function geminiErrorBody(error: GatewayError): string {
  return JSON.stringify(errorObject(error));
}

/** A Gemini SSE stream reports failure as a data event holding the error body; the official client throws on it. */
export function geminiStreamErrorEvent(error: GatewayError): string {
  return `data: ${JSON.stringify(errorObject(error))}\n\n`;
}
