/**
 * The MCP server `mcp-overhead.ts` calls, as its own process: the tests' tool server (the
 * official SDK's `Server` over Streamable HTTP). `node mcp-tool-server.js`; sends `{ url }` over
 * IPC once listening.
 */
import { startToolServer } from '../../src/mcp/support/tool-server.js';

const server = await startToolServer();
process.send?.({ url: server.url });
const stop = () => void server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
