import type { MikroORM } from '@mikro-orm/postgresql';
import type { Kms } from '@keyward/shared';
import type { ControlPlaneConfig } from './config.js';
import type { Logger } from './logger.js';
import type { KeywardPubSub } from './graphql/pubsub.js';
import type { Mailer, TerminalWriter } from './mail/mailer.js';

/**
 * The long-lived collaborators of a running control plane, created once in `startControlPlane`
 * and reachable from every resolver as `ctx.services`.
 */
export interface Services {
  readonly config: ControlPlaneConfig;
  readonly log: Logger;
  readonly orm: MikroORM;
  readonly kms: Kms;
  readonly pubSub: KeywardPubSub;
  /** Sends sign-in codes and invitations (SMTP, the development terminal, or a test outbox). */
  readonly mailer: Mailer;
  /** Plain-text output for the operator (the first-start banner), outside the JSON logs. */
  readonly terminal: TerminalWriter;
}
