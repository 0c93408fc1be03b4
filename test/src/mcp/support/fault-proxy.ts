import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the proxy breaks a `tools/call` of `list_records` whose `table` argument names a fault. */
type Fault = 'invalid-json' | 'hang' | 'cut';

/** An HTTP front for a real MCP server that breaks chosen tool calls; everything else passes through unchanged. */
export interface FaultProxy {
  readonly url: string;
  close(): Promise<void>;
}

function faultOf(body: Buffer): { fault: Fault; id: unknown } | null {
  try {
    const message = JSON.parse(body.toString('utf8')) as { id?: unknown; method?: string; params?: { arguments?: { table?: string } } };
    const table = message.method === 'tools/call' ? message.params?.arguments?.table : undefined;
    return table === 'invalid-json' || table === 'hang' || table === 'cut' ? { fault: table, id: message.id } : null;
  } catch {
    return null;
  }
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the proxy on a free loopback port in front of `target` (an MCP endpoint URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const http = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const fault = faultOf(body);
      if (fault?.fault === 'invalid-json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":${JSON.stringify(fault.id)},"result":{"content":[`);
        return;
      }
      if (fault?.fault === 'hang') return;
      if (fault?.fault === 'cut') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"starting"}}\n\n`);
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const forwarded = request(
        { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
