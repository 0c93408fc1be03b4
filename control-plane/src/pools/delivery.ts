import type { EntityManager } from '@mikro-orm/postgresql';
import { poolKeyLinkMessage } from '../mail/messages.js';
import { Organization } from '../organizations/organization.entity.js';
import type { Services } from '../services.js';
import { hashOpaqueToken, newOpaqueToken } from '../sessions/opaque-token.js';
import { PoolRecipient, type KeyPool } from './pool.entity.js';

/** How long a delivery link works. */
const LINK_HOURS = 72;

/** A recipient with the token of the link just made for it (the token exists only here and in the email). */
export interface IssuedLink {
  readonly recipient: PoolRecipient;
  readonly token: string;
}

/** Gives a recipient a new single-use link; only its keyed hash is stored, and any earlier link stops working. */
export function issueLink(recipient: PoolRecipient, pepper: Buffer, now: Date): IssuedLink {
  const token = newOpaqueToken();
  recipient.linkHash = hashOpaqueToken(token, pepper);
  recipient.linkExpiresAt = new Date(now.getTime() + LINK_HOURS * 3600 * 1000);
  recipient.linkUsedAt = null;
  recipient.linkSentAt = null;
  return { recipient, token };
}

/**
 * Emails each recipient its link (`<publicUrl>/key#<token>`: after `#`, so the token never reaches a
 * server log or a Referer header) and stamps `linkSentAt` on those that went out. A failed send is
 * logged (the mailer names no token) and leaves `linkSentAt` empty, so the owner sees it and re-sends.
 */
export async function sendLinks(services: Services, em: EntityManager, pool: KeyPool, links: readonly IssuedLink[]): Promise<void> {
  const org = await em.findOneOrFail(Organization, { id: pool.organization.id });
  const sent: string[] = [];
  for (const { recipient, token } of links) {
    const link = `${services.config.publicUrl}/key#${token}`;
    try {
      await services.mailer.send(poolKeyLinkMessage(recipient.email, { orgName: org.name, poolName: pool.name, link, hours: LINK_HOURS, note: pool.note }));
      sent.push(recipient.id);
    } catch {
      // The mailer logged it without the message body.
    }
  }
  if (sent.length === 0) return;
  const now = new Date();
  await em.nativeUpdate(PoolRecipient, { id: { $in: sent } }, { linkSentAt: now });
  for (const { recipient } of links) if (sent.includes(recipient.id)) recipient.linkSentAt = now;
}
