import type { Agent } from 'undici';
import type { AddressPolicy } from '@keyward/shared';
import type { FormattedRecord } from '../formats/index.js';
import type { SinkSettings } from '../sink-settings.js';
import type { AuditSink } from '../sink.entity.js';

/** A sink as a transport needs it: its row and its opened secret. */
export interface SinkTarget {
  readonly sink: AuditSink;
  readonly orgId: string;
  readonly settings: SinkSettings;
  /** The kind's secret, opened for this send ('' when the kind has none). */
  readonly secret: string;
}

/** What every transport may use: the agent that refuses non-public addresses at connect time, and the same rules for raw sockets. */
export interface TransportContext {
  readonly agent: Agent;
  readonly addressPolicy: AddressPolicy;
  readonly timeoutMs: number;
}

/** Sends one batch (records of one chain, in order); resolves once the receiver accepted all of it. */
export type SinkTransport = (target: SinkTarget, records: readonly FormattedRecord[], context: TransportContext) => Promise<void>;

/**
 * A batch that did not get through. `permanent` when sending the same batch again cannot help
 * (the receiver refused it: HTTP 4xx other than 408 and 429); a network failure, timeout or
 * 5xx is not permanent and is retried until the receiver is back.
 */
export class SinkSendError extends Error {
  override name = 'SinkSendError';
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}
