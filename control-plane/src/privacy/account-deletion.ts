import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { derivedKey } from '../auth/derived-key.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';

/** What the pseudonym key is derived for (from the key pepper, never the pepper itself). */
const PSEUDONYM_PURPOSE = 'account-pseudonyms v1';

/** Where erased accounts' addresses point: a reserved domain no mail reaches (RFC 2606). */
const ERASED_EMAIL_DOMAIN = 'deleted.invalid';

/**
 * The stable pseudonym of a deleted person: the same person always gets the same one (so the
 * organization's records still tell one former member's usage from another's), and nobody
 * without the key pepper can tell whose it is.
 */
export function pseudonymOf(pepper: Buffer, userId: string): string {
  return `former-member-${createHmac('sha256', derivedKey(pepper, PSEUDONYM_PURPOSE)).update(userId).digest('hex').slice(0, 16)}`;
}

/**
 * Deletes a person's account in one transaction, and returns their pseudonym and the organizations
 * whose keys now carry it (their config is republished). Refused (`CONFLICT`,
 * reason `LAST_OWNER`, naming the organizations) while they are the only owner of an
 * organization: they transfer it or delete it first. The owners of the person's organizations
 * are locked for the check, so two last owners cannot both leave.
 *
 * At once: every session ends, every API token they created is revoked, their memberships,
 * pending email change, sign-in links and codes, playground conversations, invitations to their address and SCIM records
 * are deleted. The `users` row stays, so the organization's records (audit entries `user:<id>`,
 * invitations they sent, tokens they created) still point at one person, but it is erased: the
 * name becomes the pseudonym, the email `<pseudonym>@deleted.invalid`, the password is removed.
 * Keys issued to them (`ownerLabel` = their email) keep their usage with the pseudonym as owner.
 */
export async function deleteAccount(em: EntityManager, pepper: Buffer, userId: string): Promise<{ pseudonym: string; relabelledOrgIds: string[] }> {
  return em.transactional(async (tx) => {
    const [user] = await sqlRows<{ email: string }>(tx, 'select email from users where id = ? for update', [userId]);
    if (!user) throw new AppError('NOT_FOUND', 'Your account no longer exists.');
    const owned = await sqlRows<{ orgId: string; name: string; userId: string }>(
      tx,
      `select m.organization_id as "orgId", o.name, m.user_id as "userId" from memberships m join organizations o on o.id = m.organization_id
        where m.role = 'owner' and m.organization_id in (select organization_id from memberships where user_id = ? and role = 'owner')
        order by o.name for update of m`,
      [userId],
    );
    const soleOwned = [...new Map(owned.map((m) => [m.orgId, m])).values()].filter((m) => !owned.some((o) => o.orgId === m.orgId && o.userId !== userId));
    if (soleOwned.length > 0) {
      throw new AppError(
        'CONFLICT',
        `You are the only owner of ${soleOwned.map((o) => JSON.stringify(o.name)).join(', ')}: make another member owner or delete the organization first.`,
        { reason: 'LAST_OWNER', organizations: soleOwned.map((o) => ({ id: o.orgId, name: o.name })) },
      );
    }
    const pseudonym = pseudonymOf(pepper, userId);
    for (const table of ['sessions', 'email_changes', 'sign_in_links', 'scim_users', 'playground_conversations', 'memberships']) {
      await tx.execute(`delete from "${table}" where user_id = ?`, [userId]);
    }
    await tx.execute('update api_tokens set revoked_at = now() where created_by_id = ? and revoked_at is null', [userId]);
    await tx.execute('delete from sign_in_codes where email = ?', [user.email]);
    await tx.execute('delete from invitations where lower(email) = ? and accepted_at is null', [user.email]);
    const relabelled = await sqlRows<{ orgId: string }>(
      tx,
      'update keys set owner_label = ? where lower(owner_label) = ? returning organization_id as "orgId"',
      [pseudonym, user.email],
    );
    await tx.execute('update users set name = ?, email = ?, password_hash = null where id = ?', [pseudonym, `${pseudonym}@${ERASED_EMAIL_DOMAIN}`, userId]);
    return { pseudonym, relabelledOrgIds: [...new Set(relabelled.map((k) => k.orgId))] };
  });
}
