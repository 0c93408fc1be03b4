import type { Logger } from 'pino';
import { recordAudit } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';

/** A sign-in being made, by any path: a GraphQL context or a plain HTTP route gives these. */
export interface SignInRequest {
  readonly services: Services;
  readonly log: Logger;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
}

/** The ways into a session other than single sign-on. */
export type NonSsoSignIn = 'password' | 'code' | 'invitation' | 'link';

/**
 * Called after a password, an emailed code, an accepted invitation or a sign-in link proved who
 * the person is, before any session starts: refuses them when an organization they belong to
 * requires single sign-on, unless they are its owner. An owner's sign-in there is the break-glass
 * path (the identity provider may be the thing that broke), recorded in that organization's
 * audit trail.
 */
export async function enforceRequiredSso(req: SignInRequest, userId: string, method: NonSsoSignIn): Promise<void> {
  // Every organization of the person is read, across tenants: the tenant filter does not apply to raw SQL.
  const rows: { organization_id: string; role: string }[] = await req.services.orm.em
    .getConnection()
    .execute(
      'select m.organization_id, m.role from memberships m join sso_connections c on c.organization_id = m.organization_id where m.user_id = ? and c.require_sso',
      [userId],
    );
  if (rows.some((r) => r.role !== 'owner')) {
    req.log.info({ userId, method }, 'sign-in refused: the organization requires single sign-on');
    const accepted = method === 'invitation' ? 'Your invitation is accepted, but your' : 'Your';
    throw new AppError('FORBIDDEN', `${accepted} organization requires single sign-on: choose "Sign in with SSO" and give your work email.`, {
      reason: 'SSO_REQUIRED',
    });
  }
  for (const row of rows) {
    req.log.warn({ userId, orgId: row.organization_id, method }, 'owner signed in past required single sign-on (break-glass)');
    await recordAudit(req.services, {
      orgId: row.organization_id,
      actor: `user:${userId}`,
      action: 'breakGlassSignIn',
      targetId: userId,
      outcome: 'success',
      errorCode: null,
      args: { method },
      ip: req.ip,
      userAgent: req.userAgent,
      requestId: req.requestId,
    });
  }
}
