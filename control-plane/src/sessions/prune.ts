import { runAlone } from '../db/job-lock.js';
import { RecipientCode, RecipientSession } from '../pools/recipient-access.entity.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';
import { EmailChange } from './email-change.entity.js';
import { Session } from './session.entity.js';
import { SignInCode } from './sign-in-code.entity.js';
import { SignInLink } from './sign-in-link.entity.js';
import { pruneThrottles } from './throttle.js';

/** How often what can no longer be used is deleted. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Deletes sessions (people's and key recipients') once expired, and codes (sign-in, email-change,
 * recipients'), links and throttle counters a day after they stopped working (the day lets a late
 * attempt still be told "expired" rather than "unknown"). They hold emails and hashes nobody
 * needs any more. (Sign-in also prunes the signing-in person's own expired rows as it goes.)
 */
async function pruneSignInState(services: Services): Promise<void> {
  const em = services.orm.em.fork({ clear: true });
  const now = new Date();
  const dayAgo = new Date(now.getTime() - 86_400_000);
  await em.nativeDelete(Session, { expiresAt: { $lte: now } });
  await em.nativeDelete(RecipientSession, { expiresAt: { $lte: now } });
  await em.nativeDelete(SignInCode, { expiresAt: { $lte: dayAgo } });
  await em.nativeDelete(RecipientCode, { expiresAt: { $lte: dayAgo } });
  await em.nativeDelete(SignInLink, { expiresAt: { $lte: dayAgo } });
  await em.nativeDelete(EmailChange, { expiresAt: { $lte: dayAgo } });
  await pruneThrottles(em);
}

/**
 * Start-up task: prunes now, then every hour (`intervalMs`) while the control plane runs, one
 * control plane of the database at a time (`runAlone`), so a control plane that runs for months
 * still forgets expired codes, links and sessions.
 */
export async function startSignInPruner(services: Services, intervalMs = PRUNE_INTERVAL_MS): Promise<StopBackgroundWork> {
  let running: Promise<void> = Promise.resolve();
  const round = () => {
    running = runAlone(services.orm, 'sign-in-prune', () => pruneSignInState(services)).then(
      () => undefined,
      (error: unknown) => services.log.error({ err: error }, 'pruning expired sessions, codes and links failed; retrying in an hour'),
    );
  };
  await pruneSignInState(services);
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
