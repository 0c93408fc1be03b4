import type { ClientResponse } from '../server/response.js';

/**
 * The agent's side of a request, as enforcement steps see it: enough to keep the agent waiting
 * (approvals) and to notice when it leaves, without handing steps the raw response.
 */
export interface AgentConnection {
  /** True when the answer is a server-sent event stream, so comment lines can keep the agent waiting. */
  readonly sse: boolean;
  /** When the request arrived (ms since the epoch): a client that is not streamed counts its wait from then. */
  readonly arrivedAt: number;
  /** True once the agent disconnected. */
  readonly aborted: boolean;
  /** True once the status line went out (after the first keep-alive of a held stream). */
  readonly headersSent: boolean;
  /** Runs `listener` when the agent disconnects (at once if it already did). */
  onAbort(listener: () => void): void;
  /**
   * SSE only: writes a comment line (`: text`), which every SSE reader ignores. The first one
   * sends the stream's status line and headers, so a held stream commits to `200` only once
   * it starts sending keep-alives.
   */
  comment(text: string): void;
}

/**
 * Wraps the client response of one proxied request. `keepAlive` writes what a keep-alive sends
 * (an SSE comment line by default).
 */
export function agentConnection(
  client: ClientResponse,
  requestId: string,
  sse: boolean,
  arrivedAt: number,
  keepAlive: (text: string) => string = (text) => `: ${text}\n\n`,
): AgentConnection {
  return {
    sse,
    arrivedAt,
    get aborted() {
      return client.aborted;
    },
    get headersSent() {
      return client.headersSent;
    },
    onAbort: (listener) => client.onAbort(listener),
    comment(text) {
      if (!sse || !client.open) return;
      if (!client.headersSent) {
        client.writeHead(200, [
          ['content-type', 'text/event-stream; charset=utf-8'],
          ['cache-control', 'no-cache'],
          ['x-request-id', requestId],
        ]);
      }
      // A comment is a few bytes; a full socket buffer keeps it, so backpressure is not awaited.
      void client.write(keepAlive(text));
    },
  };
}
