/**
 * Runs the mock provider on its own, for demos: `node test/dist/mock-provider/main.js`
 * (or `npx tsx`) with `MOCK_PROVIDER_PORT` (default 9090). Point credentials at
 * `http://127.0.0.1:<port>/v1` (OpenAI), `http://127.0.0.1:<port>` (Anthropic, Gemini).
 */
import { startMockProvider } from './server.js';

const port = Number(process.env.MOCK_PROVIDER_PORT ?? 9090);
const host = process.env.MOCK_PROVIDER_HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('MOCK_PROVIDER_PORT must be a port number between 0 and 65535.');
  process.exit(1);
}

const mock = await startMockProvider({ port, host });
console.log(JSON.stringify({ msg: 'mock provider listening', url: mock.url }));

const stop = () => {
  mock.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
