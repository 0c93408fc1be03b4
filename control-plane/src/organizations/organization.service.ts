import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange, requestConfigPublish } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { Membership } from './membership.entity.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization, type OrganizationSettings } from './organization.entity.js';
import type { UpdateOrganizationSettingsInput } from './organization.input.js';
import { requireContentWithinEvents } from './retention-periods.js';
import { requireRetentionChoice } from '../billing/plans.js';
import { unpricedModelsPolicyFrom } from '../budgets/model-price.service.js';
import type { PricingSettings } from '../budgets/pricing-settings.js';

/**
 * Creates an organization with `ownerId` as its owner and publishes its (empty) config, so
 * nodes know its settings before it has a key. Without a slug, one is derived from the name,
 * with a random suffix when that is taken.
 */
export async function createOrganization(
  services: Services,
  em: EntityManager,
  input: { name: string; slug?: string | null; ownerId: string },
): Promise<Organization> {
  const name = input.name.trim();
  const slug = input.slug ?? (await freeSlug(em, slugFrom(name)));
  if (input.slug && (await em.count(Organization, { slug }))) {
    throw new AppError('CONFLICT', `The slug "${slug}" is taken.`, { fields: { slug: ['is taken'] } });
  }
  let org: Organization;
  try {
    org = await em.transactional(async (tx) => {
      const created = tx.create(Organization, { name, slug, plan: 'free', settings: { ...DEFAULT_ORGANIZATION_SETTINGS } });
      tx.create(Membership, { organization: created, user: input.ownerId, role: 'owner' });
      return created;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `The slug "${slug}" is taken.`);
    throw error;
  }
  await requestConfigPublish(services, org.id, 'organization created');
  return org;
}

/**
 * Applies the given settings (and name) to an organization and republishes its config in the
 * same transaction, since nodes enforce the time zone, content capture and limiter fail mode.
 */
export async function updateOrganizationSettings(
  services: Services,
  em: EntityManager,
  orgId: string,
  input: UpdateOrganizationSettingsInput,
): Promise<Organization> {
  return applyConfigChange(services, em, orgId, 'organization settings changed', async (tx) => {
    const org = await tx.findOneOrFail(Organization, { id: orgId });
    const settings: OrganizationSettings = { ...DEFAULT_ORGANIZATION_SETTINGS, ...org.settings };
    if (input.timeZone != null) settings.timeZone = input.timeZone;
    if (input.contentCapture != null) settings.contentCapture = input.contentCapture;
    // Null is a choice here (forever); only an omitted field leaves the period alone.
    if (input.retentionDays !== undefined) {
      requireRetentionChoice(services.config.edition, org, input.retentionDays);
      settings.retentionDays = input.retentionDays;
    }
    if (input.contentRetentionDays !== undefined) {
      settings.contentRetentionDays = input.contentRetentionDays;
      // Only a period asked for now is refused: a stored one (the default 90) simply ends with its event.
      requireContentWithinEvents(services.config.edition, { plan: org.plan, settings });
    }
    if (input.limiterFailMode != null) settings.limiterFailMode = input.limiterFailMode;
    if (input.unpricedModels != null) (settings as PricingSettings).unpricedModels = unpricedModelsPolicyFrom(input.unpricedModels);
    org.settings = settings;
    if (input.name != null) org.name = input.name.trim();
    return org;
  });
}

/** A slug candidate from a name: ASCII letters and digits joined by hyphens. */
function slugFrom(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return base.length >= 3 ? base : `org-${base || randomBytes(3).toString('hex')}`.replace(/-$/, '');
}

async function freeSlug(em: EntityManager, base: string): Promise<string> {
  if (!(await em.count(Organization, { slug: base }))) return base;
  for (let i = 0; i < 5; i++) {
    const candidate = `${base}-${randomBytes(3).toString('hex')}`;
    if (!(await em.count(Organization, { slug: candidate }))) return candidate;
  }
  throw new AppError('CONFLICT', 'Could not find a free slug; choose one.');
}
