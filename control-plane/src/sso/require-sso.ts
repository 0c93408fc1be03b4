import { recordAudit } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';

/**
 * Called after a password or emailed code proved who the person is: refuses them when an
 * organization they belong to requires single sign-on, unless they are its owner. An owner's
 * sign-in there is the break-glass path (the identity provider may be the thing that broke),
 * recorded in that organization's audit trail.
 */
export async function enforceRequiredSso(ctx: GraphQLContext, userId: string, method: 'password' | 'code'): Promise<void> {
  // Every organization of the person is read, across tenants: the tenant filter does not apply to raw SQL.
  const rows: { organization_id: string; role: string }[] = await ctx.em
    .getConnection()
    .execute(
      'select m.organization_id, m.role from memberships m join sso_connections c on c.organization_id = m.organization_id where m.user_id = ? and c.require_sso',
      [userId],
    );
  if (rows.some((r) => r.role !== 'owner')) {
    ctx.log.info({ userId, method }, 'sign-in refused: the organization requires single sign-on');
    throw new AppError('FORBIDDEN', 'Your organization requires single sign-on: choose "Sign in with SSO" and give your work email.', {
      reason: 'SSO_REQUIRED',
    });
  }
  for (const row of rows) {
    ctx.log.warn({ userId, orgId: row.organization_id, method }, 'owner signed in past required single sign-on (break-glass)');
    await recordAudit(ctx.services, {
      orgId: row.organization_id,
      actor: `user:${userId}`,
      action: 'breakGlassSignIn',
      targetId: userId,
      outcome: 'success',
      errorCode: null,
      args: { method },
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      requestId: ctx.requestId,
    });
  }
}
