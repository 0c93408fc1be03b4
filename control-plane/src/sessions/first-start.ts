import { ConfigError } from '../config-error.js';
import { terminalBlock } from '../mail/terminal-block.js';
import { Membership } from '../organizations/membership.entity.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import type { Services } from '../services.js';
import { MAX_EMAIL_LENGTH, normalizeEmail } from '../users/email.js';
import { User } from '../users/user.entity.js';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.js';
import { SignInLink } from './sign-in-link.entity.js';

/** How long the first-start sign-in link works. */
const FIRST_START_LINK_HOURS = 24;
/** The owner email when `KEYWARD_OWNER_EMAIL` is not set. */
const DEFAULT_OWNER_EMAIL = 'owner@keyward.local';
/** Advisory lock id held while checking for users, so two replicas starting at once create one owner. */
const FIRST_START_LOCK = 0x4b57_0001;

/**
 * Start-up task: on a database with no users, creates an owner and their organization and
 * prints a one-time sign-in link once, as plain text on the terminal writer (never through the
 * JSON logger, which is shipped elsewhere). Later starts find a user and print nothing.
 */
export async function createFirstOwner(services: Services, env: Record<string, string | undefined> = process.env): Promise<void> {
  const email = ownerEmail(env);
  const token = newOpaqueToken();
  const em = services.orm.em.fork({ clear: true });
  const created = await em.transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?)', [FIRST_START_LOCK]);
    if ((await tx.count(User, {})) > 0) return false;
    const user = tx.create(User, { email, name: 'Owner', passwordHash: null });
    const org = tx.create(Organization, { name: 'Keyward', slug: 'keyward', plan: 'free', settings: { ...DEFAULT_ORGANIZATION_SETTINGS } });
    tx.create(Membership, { organization: org, user, role: 'owner' });
    tx.create(SignInLink, {
      tokenHash: hashOpaqueToken(token, services.config.keyPepper),
      user,
      expiresAt: new Date(Date.now() + FIRST_START_LINK_HOURS * 3600_000),
    });
    return true;
  });
  if (!created) return;
  services.log.info({ email }, 'first start: owner account created; a one-time sign-in link was printed on stdout');
  services.terminal(firstStartBanner(email, `${services.config.publicUrl}/signin?token=${token}`));
}

function ownerEmail(env: Record<string, string | undefined>): string {
  const email = normalizeEmail(env.KEYWARD_OWNER_EMAIL || DEFAULT_OWNER_EMAIL);
  if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ConfigError('KEYWARD_OWNER_EMAIL must be an email address.');
  }
  return email;
}

function firstStartBanner(email: string, link: string): string {
  return terminalBlock([
    'Keyward first start: an owner account was created.',
    '',
    `Owner:  ${email}  (organization "Keyward")`,
    `Sign in: ${link}`,
    '',
    `The link works once and expires in ${FIRST_START_LINK_HOURS} hours. It is shown only this once;`,
    'afterwards sign in with an emailed code and set a password under your account.',
  ]);
}
