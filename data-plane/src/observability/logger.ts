import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. The gateway never logs these on
 * purpose; redaction is the net under that rule (e.g. a header object logged while debugging).
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'headers.cookie',
  '*.authorization',
  '*["x-api-key"]',
  '*["x-goog-api-key"]',
  'key',
  'secret',
  'token',
  'nodeToken',
  'keyPepper',
  'hashSalt',
  'config.nodeToken',
  'config.keyPepper',
  'config.hashSalt',
];

/** Stdout is written once this much is buffered, or at the latest this often. */
const STDOUT_BUFFER_BYTES = 4096;
const STDOUT_FLUSH_MS = 250;

/**
 * A JSON logger for the data plane; tests pass a destination to capture lines. On stdout, lines
 * are buffered and written a few kilobytes at a time, at the latest every 250 ms (a write per
 * request line cost more than a policy evaluation); what is left is written when the process
 * exits, also after a fatal error.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'data-plane' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? bufferedStdout());
}

const unredactedChildren = new WeakMap<Logger, Logger>();

/**
 * `log` without the redaction pass, for the per-request line: its fields are ids, names, codes
 * and counts the gateway sets, none of them at a path of `REDACT_PATHS`, so redaction only cost
 * time there (a third of the line's). Any line that may carry a header or config object uses the
 * redacting logger.
 */
export function withoutRedaction(log: Logger): Logger {
  let plain = unredactedChildren.get(log);
  if (!plain) unredactedChildren.set(log, (plain = log.child({}, { redact: { paths: [] } })));
  return plain;
}

let stdout: ReturnType<typeof pino.destination> | null = null;

/** The process's one buffered stdout stream, written out when the process exits. */
function bufferedStdout(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    const stream = pino.destination({ dest: 1, sync: true, minLength: STDOUT_BUFFER_BYTES, periodicFlush: STDOUT_FLUSH_MS });
    process.once('exit', () => stream.flushSync());
    stdout = stream;
  }
  return stdout;
}
