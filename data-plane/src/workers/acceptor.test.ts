import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uws, type TemplatedApp, type us_listen_socket } from '../server/uws.js';
import { startAcceptor, type Acceptor } from './acceptor.js';

/** A uWS app that answers with the worker's name, the peer it sees and the address a PROXY header gave. */
async function startEcho(name: string): Promise<{ app: TemplatedApp; socket: us_listen_socket; port: number }> {
  const app = uws.App().get('/*', (res) => {
    const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
    const proxied = Buffer.from(res.getProxiedRemoteAddressAsText()).toString();
    res.end(`${name} ${peer} ${proxied}`);
  });
  const socket = await new Promise<us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('no listen')))));
  return { app, socket, port: uws.us_socket_local_port(socket) };
}

/** One request on a fresh connection from `localAddress`. */
function get(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\r\n\r\n')[1] ?? ''));
  });
}

describe('the worker acceptor', () => {
  let workers: Awaited<ReturnType<typeof startEcho>>[];
  let acceptor: Acceptor;

  beforeAll(async () => {
    workers = [await startEcho('w0'), await startEcho('w1')];
    acceptor = await startAcceptor({ host: '127.0.0.1', port: 0, workerPorts: workers.map((w) => w.port), onError: () => undefined });
  });

  afterAll(() => {
    acceptor?.stopAccepting();
    acceptor?.destroyAll();
    for (const worker of workers ?? []) {
      uws.us_listen_socket_close(worker.socket);
      (worker.app as unknown as { close(): void }).close();
    }
  });

  it('hands connections to the workers in turn, each told the client’s address in a PROXY header', async () => {
    const answers = [await get(acceptor.port, '127.0.0.2'), await get(acceptor.port, '127.0.0.3'), await get(acceptor.port, '127.0.0.2')];
    expect(answers).toEqual(['w0 127.0.0.1 127.0.0.2', 'w1 127.0.0.1 127.0.0.3', 'w0 127.0.0.1 127.0.0.2']);
  });

  it('stops accepting new connections when told', async () => {
    const other = await startAcceptor({ host: '127.0.0.1', port: 0, workerPorts: [workers[0]!.port], onError: () => undefined });
    other.stopAccepting();
    await expect(get(other.port, '127.0.0.2')).rejects.toThrow(/ECONNREFUSED/);
  });
});
