import nodemailer from 'nodemailer';
import type { ControlPlaneConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { terminalBlock } from './terminal-block.js';

/** A plain-text email. Subjects never carry a secret (they show up in mail logs and previews). */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Writes plain text to the operator's terminal (stdout by default), outside the JSON logs. */
export type TerminalWriter = (text: string) => void;

/** How the control plane sends email (sign-in codes, invitations). */
export interface Mailer {
  /** How messages travel: `smtp`, `terminal` (development), `memory` (tests) or `none` (production without SMTP). */
  readonly transport: 'smtp' | 'terminal' | 'memory' | 'none';
  /** Every message sent, newest last; only the `memory` transport keeps them (tests read codes from it). */
  readonly outbox: MailMessage[] | null;
  /**
   * Sends a message. The `memory` and `terminal` transports finish before the first `await`, so
   * callers that do not wait still leave the message in the outbox by the time they return.
   */
  send(message: MailMessage): Promise<void>;
  /** Throws a clear error when email cannot be delivered at all, before any work is done. */
  assertCanDeliver(): void;
  close(): void;
}

/**
 * Picks the transport from the configuration: SMTP when `SMTP_URL` is set; otherwise the
 * terminal in development, an in-memory outbox in tests, and nothing in production, where
 * codes and invitation links must never be printed anywhere an operator's log shipper reads.
 */
export function createMailer(config: ControlPlaneConfig, log: Logger, terminal: TerminalWriter): Mailer {
  if (config.smtp) return smtpMailer(config.smtp, log);
  if (config.environment === 'test') return memoryMailer();
  if (config.environment === 'development') return terminalMailer(terminal);
  return unavailableMailer();
}

function smtpMailer(smtp: NonNullable<ControlPlaneConfig['smtp']>, log: Logger): Mailer {
  const transport = nodemailer.createTransport(smtp.url);
  return {
    transport: 'smtp',
    outbox: null,
    async send(message) {
      try {
        await transport.sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: message.text });
        log.info({ to: message.to, subject: message.subject }, 'email sent');
      } catch (err) {
        // The SMTP error may quote the message; log only its code.
        log.error({ to: message.to, subject: message.subject, smtpCode: (err as { code?: string }).code }, 'email could not be sent');
        throw new AppError('INTERNAL_SERVER_ERROR', 'The email could not be sent; try again later.');
      }
    },
    assertCanDeliver() {},
    close() {
      transport.close();
    },
  };
}

function memoryMailer(): Mailer {
  const outbox: MailMessage[] = [];
  return {
    transport: 'memory',
    outbox,
    send(message) {
      outbox.push(message);
      return Promise.resolve();
    },
    assertCanDeliver() {},
    close() {},
  };
}

function terminalMailer(terminal: TerminalWriter): Mailer {
  return {
    transport: 'terminal',
    outbox: null,
    send(message) {
      terminal(
        terminalBlock([
          `Email to ${message.to} (no SMTP_URL is set, so it is printed here; development only)`,
          `Subject: ${message.subject}`,
          '',
          ...message.text.split('\n'),
        ]),
      );
      return Promise.resolve();
    },
    assertCanDeliver() {},
    close() {},
  };
}

function unavailableMailer(): Mailer {
  const refuse = () => {
    throw new AppError('INTERNAL_SERVER_ERROR', 'Email is not configured on this server (set SMTP_URL), so nothing can be sent.', {
      reason: 'EMAIL_NOT_CONFIGURED',
    });
  };
  return {
    transport: 'none',
    outbox: null,
    send: () => Promise.resolve().then(refuse),
    assertCanDeliver: refuse,
    close() {},
  };
}
