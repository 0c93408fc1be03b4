import { createSocket, type Socket } from 'node:dgram';
import { connect as netConnect, isIP, type Socket as NetSocket } from 'node:net';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import { guardedLookup } from '@keyward/shared';
import type { FormattedRecord } from '../formats/index.js';
import { networkFailure } from './http-post.js';
import { SinkSendError, type SinkTarget, type SinkTransport, type TransportContext } from './types.js';

/** Facility 13, "log audit" (RFC 5424 table 1). */
const FACILITY = 13;
/** Structured-data id: `keyward` at the private enterprise number RFC 5612 reserves for documentation. */
const SD_ID = 'keyward@32473';

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP keyward keyward - MSGID [keyward@32473 chain seq hash] MSG`,
 * MSGID the chain (`usage` or `audit`), severity 6 (informational) or 4 (warning), MSG the
 * formatted record's JSON.
 */
function syslogMessage(record: FormattedRecord): string {
  const pri = FACILITY * 8 + (record.severityId === 1 ? 6 : 4);
  const { chain, seq, hash } = record.source;
  return `<${pri}>1 ${record.time.toISOString()} keyward keyward - ${chain} [${SD_ID} chain="${chain}" seq="${seq}" hash="${hash}"] ${JSON.stringify(record.json)}`;
}

/**
 * Syslog: RFC 5424 messages over TCP or TLS (RFC 6587 octet counting: `LEN SP MSG`, RFC 5425)
 * on one connection per batch, or one UDP datagram per message. Over TCP and TLS the batch
 * counts as delivered once the server has read it all and closed its side after ours; UDP has no
 * acknowledgement at all, so a UDP sink can lose messages the network drops.
 */
export const syslogTransport: SinkTransport = async (target, records, context) => {
  const messages = records.map(syslogMessage);
  if (target.settings.transport === 'udp') return sendUdp(target, messages, context);
  const frames = Buffer.concat(messages.map((m) => Buffer.from(`${Buffer.byteLength(m)} ${m}`, 'utf8')));
  return sendStream(target, frames, context);
};

function sendStream(target: SinkTarget, frames: Buffer, context: TransportContext): Promise<void> {
  const { host, port, transport, caCertificate } = target.settings;
  const lookup = guardedLookup(context.addressPolicy);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error instanceof SinkSendError ? error : new SinkSendError(networkFailure(error)));
      else resolve();
    };
    const socket: NetSocket =
      transport === 'tls'
        ? tlsConnect({
            host,
            port,
            lookup,
            servername: isIP(host!) ? undefined : host,
            ca: caCertificate ? [...rootCertificates, caCertificate] : undefined,
          })
        : netConnect({ host: host!, port: port!, lookup: lookup as never });
    const timer = setTimeout(
      () => done(new SinkSendError(`ETIMEDOUT: the syslog server did not take the batch within ${context.timeoutMs} ms`)),
      context.timeoutMs,
    );
    socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => socket.end(frames));
    socket.on('data', () => undefined);
    socket.once('error', done);
    socket.once('close', (hadError) => (hadError ? undefined : done()));
  });
}

async function sendUdp(target: SinkTarget, messages: readonly string[], context: TransportContext): Promise<void> {
  const { host, port } = target.settings;
  let socket: Socket | null = null;
  try {
    // Resolved here through the guarded lookup, not by dgram: dgram would also pass its own bind
    // address (0.0.0.0) through a socket's lookup, which the address rules refuse.
    const address = await new Promise<{ address: string; family: number }>((resolve, reject) =>
      guardedLookup(context.addressPolicy)(host!, {}, (error, resolved, family) =>
        error ? reject(error) : resolve({ address: resolved as string, family: family ?? 4 }),
      ),
    );
    const udp = createSocket(address.family === 6 ? 'udp6' : 'udp4');
    socket = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.connect(port!, address.address, () => resolve());
    });
    for (const message of messages) {
      await new Promise<void>((resolve, reject) => udp.send(Buffer.from(message, 'utf8'), (error) => (error ? reject(error) : resolve())));
    }
  } catch (error) {
    throw new SinkSendError(networkFailure(error));
  } finally {
    socket?.close();
  }
}
