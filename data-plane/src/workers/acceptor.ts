import net, { isIPv4, isIPv6 } from 'node:net';
import { parseIPv4, parseIPv6 } from '@keyward/shared';

/** The 12 bytes every PROXY protocol v2 header starts with. */
const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const PROXY_COMMAND = 0x21;
const LOCAL_COMMAND = 0x20;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;

/**
 * A PROXY protocol v2 header naming `socket`'s peer: uWebSockets.js reads it and a worker
 * reports the client's address instead of the acceptor's. A peer whose address is unknown (the
 * socket already closed) gets a LOCAL header, which names no one.
 */
function proxyHeader(socket: net.Socket): Buffer {
  const from = socket.remoteAddress;
  const to = socket.localAddress;
  const v4 = from !== undefined && to !== undefined && isIPv4(from) && isIPv4(to);
  const v6 = from !== undefined && to !== undefined && isIPv6(from) && isIPv6(to);
  if (!v4 && !v6) return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([LOCAL_COMMAND, 0, 0, 0])]);
  const addressBytes = v4 ? 4 : 16;
  const header = Buffer.alloc(16 + addressBytes * 2 + 4);
  PROXY_V2_SIGNATURE.copy(header, 0);
  header[12] = PROXY_COMMAND;
  header[13] = v4 ? TCP_OVER_IPV4 : TCP_OVER_IPV6;
  header.writeUInt16BE(addressBytes * 2 + 4, 14);
  header.set(addressBytesOf(from, v4), 16);
  header.set(addressBytesOf(to, v4), 16 + addressBytes);
  header.writeUInt16BE(socket.remotePort ?? 0, 16 + addressBytes * 2);
  header.writeUInt16BE(socket.localPort ?? 0, 18 + addressBytes * 2);
  return header;
}

/** An address's bytes in network order (4 for IPv4, 16 for IPv6). */
function addressBytesOf(address: string, v4: boolean): Uint8Array {
  return v4 ? Uint8Array.from(parseIPv4(address)!) : parseIPv6(address)!;
}

/** Where the acceptor hands connections: the loopback ports the workers listen on. */
export interface AcceptorOptions {
  readonly host: string;
  readonly port: number;
  readonly workerPorts: readonly number[];
  readonly onError: (reason: string) => void;
}

/** The listening acceptor. */
export interface Acceptor {
  readonly port: number;
  /** Stops accepting; connections already handed over go on until their worker ends them. */
  stopAccepting(): void;
  /** Cuts every connection still open (after the workers stopped). */
  destroyAll(): void;
}

/**
 * Accepts the node's connections on the public port and hands each, whole and in turn, to the
 * next worker (round robin): a PROXY header naming the client, then the bytes both ways. A
 * connection stays with one worker for its life, so keep-alive requests and streams never move.
 * uWebSockets.js on Linux cannot share one listening port between threads, hence this thread.
 */
export async function startAcceptor(options: AcceptorOptions): Promise<Acceptor> {
  const open = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer({ noDelay: true }, (client) => {
    const port = options.workerPorts[next]!;
    next = (next + 1) % options.workerPorts.length;
    const worker = net.connect({ host: '127.0.0.1', port, noDelay: true });
    open.add(client).add(worker);
    const cut = () => {
      client.destroy();
      worker.destroy();
    };
    client.on('error', cut).on('close', () => open.delete(client));
    worker.on('error', cut).on('close', () => open.delete(worker));
    worker.write(proxyHeader(client));
    client.pipe(worker);
    worker.pipe(client);
  });
  server.on('error', (err) => options.onError(err.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    stopAccepting: () => void server.close(),
    destroyAll: () => {
      for (const socket of open) socket.destroy();
    },
  };
}
