import type { EntityManager } from '@mikro-orm/postgresql';
import type { Plan } from '@keyward/shared';
import { PLANS, planRetentionDays } from '../billing/plans.js';
import type { Edition } from '../config.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import { DEFAULT_ORGANIZATION_SETTINGS, type OrganizationSettings } from './organization.entity.js';

/** How long an organization's records are kept, in days (null: forever), and why. */
export interface RetentionPeriods {
  /** Request events and admin-log entries. */
  readonly eventDays: number | null;
  /** `plan` where the plan fixes it (Free and Pro on a service), else `organization`. */
  readonly eventSource: 'plan' | 'organization';
  /** Captured prompt and completion text: cleared after this, the event itself stays. */
  readonly contentDays: number | null;
  /** `events` when the content simply goes with its event (its own period is not shorter). */
  readonly contentSource: 'organization' | 'events';
}

type RetentionSettings = Partial<Pick<OrganizationSettings, 'retentionDays' | 'contentRetentionDays'>>;

/** The settings' periods with the defaults for keys an older organization lacks. */
function chosen(settings: RetentionSettings): { eventDays: number | null; contentDays: number | null } {
  const eventDays = settings.retentionDays === undefined ? DEFAULT_ORGANIZATION_SETTINGS.retentionDays : settings.retentionDays;
  const contentDays = settings.contentRetentionDays === undefined ? DEFAULT_ORGANIZATION_SETTINGS.contentRetentionDays : settings.contentRetentionDays;
  return { eventDays, contentDays };
}

/**
 * The periods that apply to an organization: the plan's where it fixes them, else the
 * organization's choice. Content is kept at most as long as its event.
 */
export function retentionPeriods(edition: Edition, org: { readonly plan: Plan; readonly settings: RetentionSettings }): RetentionPeriods {
  const fixed = planRetentionDays(edition, org.plan);
  const own = chosen(org.settings);
  const eventDays = fixed ?? own.eventDays;
  const contentOutlives = eventDays !== null && (own.contentDays === null || own.contentDays >= eventDays);
  return {
    eventDays,
    eventSource: fixed === null ? 'organization' : 'plan',
    contentDays: contentOutlives ? eventDays : own.contentDays,
    contentSource: contentOutlives || own.contentDays === null ? 'events' : 'organization',
  };
}

/**
 * Refuses a content period longer than the event period it would apply under (content goes with
 * its event, so a longer one would only mislead).
 */
export function requireContentWithinEvents(edition: Edition, org: { readonly plan: Plan; readonly settings: RetentionSettings }): void {
  const { eventDays } = retentionPeriods(edition, org);
  const { contentDays } = chosen(org.settings);
  if (eventDays === null || contentDays === null || contentDays <= eventDays) return;
  throw new AppError(
    'BAD_USER_INPUT',
    `contentRetentionDays (${contentDays}) may not exceed the ${eventDays} days events are kept: content goes with its event.`,
    {
      fields: { contentRetentionDays: [`must be at most ${eventDays}`] },
    },
  );
}

/**
 * Sets the stored `retentionDays` of organizations on a plan that fixes it (all of them, or
 * `orgId`) to the plan's: after a downgrade, and for organizations that chose before plans
 * applied. The admin log's append-only trigger reads the stored value, so it must be the one
 * retention applies. Returns how many organizations changed. Nothing to do self-hosted.
 */
export async function clampRetentionToPlans(edition: Edition, em: EntityManager, orgId: string | null = null): Promise<number> {
  let changed = 0;
  for (const plan of Object.keys(PLANS) as Plan[]) {
    const days = planRetentionDays(edition, plan);
    if (days === null) continue;
    const rows = await sqlRows(
      em,
      `update organizations set settings = jsonb_set(settings, '{retentionDays}', to_jsonb(?::int)), updated_at = now()
        where plan = ? and (?::uuid is null or id = ?) and settings -> 'retentionDays' is distinct from to_jsonb(?::int) returning 1`,
      [days, plan, orgId, orgId, days],
    );
    changed += rows.length;
  }
  return changed;
}
