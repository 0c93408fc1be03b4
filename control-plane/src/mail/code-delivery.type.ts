import { registerEnumType } from 'type-graphql';
import type { Mailer } from './mailer.js';

/** Where an emailed code or link ends up, as the sign-in page tells people. */
export const CodeDeliveryEnum = { EMAIL: 'email', TERMINAL: 'terminal', UNAVAILABLE: 'unavailable' } as const;
export type CodeDelivery = (typeof CodeDeliveryEnum)[keyof typeof CodeDeliveryEnum];
registerEnumType(CodeDeliveryEnum, {
  name: 'CodeDelivery',
  description:
    'EMAIL: sent by email. TERMINAL: no mail server is configured (development), so codes are printed in the terminal where Keyward runs. UNAVAILABLE: no mail server in production; codes cannot be sent.',
});

/** What people are told about a mailer (tests' in-memory outbox stands in for email). */
export function codeDeliveryOf(mailer: Pick<Mailer, 'transport'>): CodeDelivery {
  switch (mailer.transport) {
    case 'smtp':
    case 'memory':
      return 'email';
    case 'terminal':
      return 'terminal';
    case 'none':
      return 'unavailable';
  }
}
