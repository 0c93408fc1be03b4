import type { Services } from '../services.js';
import { EmailChange } from './email-change.entity.js';
import { Session } from './session.entity.js';
import { SignInCode } from './sign-in-code.entity.js';
import { SignInLink } from './sign-in-link.entity.js';
import { pruneThrottles } from './throttle.js';

/**
 * Start-up task: deletes sessions, codes (sign-in and email-change), links and throttle counters that can no longer be
 * used. (Sign-in also prunes the signing-in person's own expired rows as it goes.)
 */
export async function pruneSignInState(services: Services): Promise<void> {
  const em = services.orm.em.fork({ clear: true });
  const now = new Date();
  const dayAgo = new Date(now.getTime() - 86_400_000);
  await em.nativeDelete(Session, { expiresAt: { $lte: now } });
  await em.nativeDelete(SignInCode, { expiresAt: { $lte: dayAgo } });
  await em.nativeDelete(SignInLink, { expiresAt: { $lte: dayAgo } });
  await em.nativeDelete(EmailChange, { expiresAt: { $lte: dayAgo } });
  await pruneThrottles(em);
}
