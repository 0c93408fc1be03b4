import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';

/** The secret `read_config` returns, for redaction tests. */
const CONFIG_SECRET = 'sk_live_51HxTestSecretValue0123456789';

/** What the server saw: every HTTP request's method and Authorization, every tool it ran, sessions closed. */
interface ToolServerLog {
  readonly requests: { method: string; authorization: string | undefined; sessionId: string | undefined }[];
  readonly calls: { tool: string; arguments: Record<string, unknown> }[];
  readonly closedSessions: string[];
}

/** A real MCP server (the official SDK over Streamable HTTP, one session per client) with a few tools. */
export interface ToolServer {
  readonly url: string;
  readonly log: ToolServerLog;
  close(): Promise<void>;
}

const TOOLS: Tool[] = [
  {
    name: 'list_records',
    description: 'Lists the records of a table.',
    inputSchema: { type: 'object', properties: { table: { type: 'string' } }, required: ['table'] },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'delete_records',
    description: 'Deletes every record of a table.',
    inputSchema: { type: 'object', properties: { table: { type: 'string' } }, required: ['table'] },
    annotations: { destructiveHint: true },
  },
  {
    name: 'slow_count',
    description: 'Counts to `to`, one step every 50 ms, reporting progress.',
    inputSchema: { type: 'object', properties: { to: { type: 'integer' } }, required: ['to'] },
  },
  {
    name: 'read_config',
    description: 'Reads the service configuration file.',
    inputSchema: { type: 'object', properties: {} },
  },
];

function serverFor(log: ToolServerLog): Server {
  const server = new Server({ name: 'records', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    log.calls.push({ tool: request.params.name, arguments: args });
    switch (request.params.name) {
      case 'list_records':
        return { content: [{ type: 'text', text: `3 records in ${String(args.table)}` }] };
      case 'delete_records':
        return { content: [{ type: 'text', text: `deleted every record of ${String(args.table)}` }] };
      case 'slow_count': {
        const to = Number(args.to);
        const token = request.params._meta?.progressToken;
        for (let step = 1; step <= to; step++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          if (token !== undefined)
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, total: to } });
        }
        return { content: [{ type: 'text', text: `counted to ${to}` }] };
      }
      case 'read_config':
        return { content: [{ type: 'text', text: `database_url=postgres://db.internal/app\nstripe_key=${CONFIG_SECRET}\n` }] };
      default:
        return { content: [{ type: 'text', text: `unknown tool ${request.params.name}` }], isError: true };
    }
  });
  return server;
}

/** Starts the server on a free loopback port; its MCP endpoint is `<url>` (path `/mcp`). */
export async function startToolServer(): Promise<ToolServer> {
  const log: ToolServerLog = { requests: [], calls: [], closedSessions: [] };
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    log.requests.push({ method: req.method ?? '', authorization: req.headers.authorization, sessionId });
    const existing = sessionId ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (sessionId) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => {
        sessions.delete(id);
        log.closedSessions.push(id);
      },
    });
    await serverFor(log).connect(transport);
    await transport.handleRequest(req, res);
  };
  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    log,
    async close() {
      for (const transport of sessions.values()) await transport.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
