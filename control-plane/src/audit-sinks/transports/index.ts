import type { SinkKind } from '../sink-settings.js';
import { httpsTransport } from './https.js';
import { otlpTransport } from './otlp.js';
import { s3Transport } from './s3.js';
import { splunkTransport } from './splunk.js';
import { syslogTransport } from './syslog.js';
import type { SinkTransport } from './types.js';

/** How each kind of sink sends a batch. */
export const TRANSPORTS: Readonly<Record<SinkKind, SinkTransport>> = {
  https: httpsTransport,
  splunk: splunkTransport,
  otlp: otlpTransport,
  syslog: syslogTransport,
  s3: s3Transport,
};
