/**
 * The end-to-end tests' node:http mock provider (`test/src/mock-provider`) as a child process,
 * answering like the benchmark's fast mock (a 64-chunk stream 20 ms apart, same usage), so its
 * ceiling can be measured beside the fast mock's.
 *
 * `node node-mock.js --chunks 64 --interval-ms 20`; sends `{ url, port }` over IPC once listening.
 */
import { parseArgs } from 'node:util';
import { startMockProvider } from '../../src/mock-provider/index.js';

const { values } = parseArgs({ options: { chunks: { type: 'string', default: '64' }, 'interval-ms': { type: 'string', default: '20' } } });
const chunks = Number(values.chunks);
const mock = await startMockProvider({
  behaviour: {
    text: 'tok '.repeat(chunks),
    chunks,
    intervalMs: Number(values['interval-ms']),
    usage: { inputTokens: 1100, outputTokens: chunks * 2 },
  },
});
// The mock records every request for assertions; a benchmark would only grow that list.
setInterval(() => (mock.requests.length = 0), 1_000).unref();
process.send?.({ url: mock.url, port: mock.port });
const stop = () => void mock.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
