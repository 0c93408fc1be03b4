import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Session } from './session.entity.js';

/** How recently a person must have proved who they are before an export or a deletion. */
export const RECENT_SIGN_IN_MINUTES = 10;

/**
 * Refuses an export or deletion by a person whose session last proved who they are (signing in,
 * `reauthenticate`) more than `RECENT_SIGN_IN_MINUTES` ago, so a browser left signed in cannot
 * carry everything away or erase it. The refusal (`FORBIDDEN`, reason `RECENT_SIGN_IN_REQUIRED`)
 * tells the console to ask for the password (or a new sign-in) and retry; like every mutation,
 * the attempt is in the audit trail either way. API tokens have no sign-in to be recent: a
 * token that may read events or audit entries may already page through them, so its exports
 * are governed by its role alone.
 */
export async function requireRecentSignIn(ctx: GraphQLContext, what: string): Promise<void> {
  const viewer = ctx.viewer;
  if (viewer?.kind !== 'user') return;
  const session = await ctx.em.findOne(Session, { id: viewer.sessionId });
  if (session && session.authenticatedAt.getTime() > Date.now() - RECENT_SIGN_IN_MINUTES * 60_000) return;
  ctx.log.info({ userId: viewer.userId, what }, 'refused: the sign-in is not recent');
  throw new AppError(
    'FORBIDDEN',
    `To ${what}, confirm it is you: enter your password (reauthenticate) or sign in again, then retry within ${RECENT_SIGN_IN_MINUTES} minutes.`,
    { reason: 'RECENT_SIGN_IN_REQUIRED', withinMinutes: RECENT_SIGN_IN_MINUTES },
  );
}
