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

/** A JSON logger for the data plane; tests pass a destination to capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'data-plane' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
