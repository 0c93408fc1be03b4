import { startSmtpInbox, type SmtpInbox } from './smtp-inbox.js';
import { startTestSystem, type TestSystem } from './system.js';

/** The planes with a real SMTP server for key-pool emails and a mock OpenAI credential. */
export interface PoolSystem {
  readonly system: TestSystem;
  readonly inbox: SmtpInbox;
  readonly credentialId: string;
  close(): Promise<void>;
}

/**
 * Starts an SMTP inbox and the planes sending to it, with a mock credential answering every call
 * with 1,000 tokens in and out: on gpt-4o-mini ($0.15 in and $0.60 out per million tokens) each
 * call costs 750 micro-dollars.
 */
export async function startPoolSystem(pgAdminUrl: string): Promise<PoolSystem> {
  const inbox = await startSmtpInbox();
  const system = await startTestSystem(pgAdminUrl, { controlPlaneEnv: { SMTP_URL: inbox.url, SMTP_FROM: 'Keyward <keys@keyward.test>' } });
  const credentialId = await system.addMockCredential();
  system.mock.setBehaviour({ usage: { inputTokens: 1_000, outputTokens: 1_000 } });
  return {
    system,
    inbox,
    credentialId,
    close: async () => {
      await system.close();
      await inbox.close();
    },
  };
}
