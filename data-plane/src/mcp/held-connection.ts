import type { ClientResponse } from '../server/response.js';
import { agentConnection, type AgentConnection } from '../steps/agent-connection.js';
import type { JsonRpcId } from './json-rpc.js';

/**
 * The agent's side of a `tools/call` held for approval. An agent that accepts an SSE answer
 * gets one at once; each keep-alive is then a `notifications/progress` for its call's progress
 * token (which MCP clients can count as activity, e.g. the official SDK's
 * `resetTimeoutOnProgress`), or an SSE comment when the call carries no token. The answer, once
 * the call is released, continues the same stream.
 */
export function heldToolCallConnection(
  client: ClientResponse,
  requestId: string,
  acceptsSse: boolean,
  arrivedAt: number,
  progressToken: JsonRpcId | null,
): AgentConnection {
  if (progressToken === null) return agentConnection(client, requestId, acceptsSse, arrivedAt);
  let progress = 0;
  return agentConnection(client, requestId, acceptsSse, arrivedAt, () => {
    const notification = {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken, progress: ++progress, message: 'Waiting for a person to approve this tool call.' },
    };
    return `event: message\ndata: ${JSON.stringify(notification)}\n\n`;
  });
}
