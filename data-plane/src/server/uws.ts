import uWS from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';

/** The uWebSockets.js module (a CommonJS object, hence the default import). */
export const uws = uWS;

/**
 * Whether the native binding loaded. The package silently falls back to a slow pure-JS server
 * when the binary does not match the Node ABI; only the native module exports `getParts`
 * (multipart parsing lives in C++), so its presence tells the two apart.
 */
export function uwsImplementation(): 'native' | 'fallback' {
  return typeof (uWS as { getParts?: unknown }).getParts === 'function' ? 'native' : 'fallback';
}
