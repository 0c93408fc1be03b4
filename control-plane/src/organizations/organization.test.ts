import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsOf, ROLES } from '../auth/roles.js';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg, type TestPerson } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { setPlan } from '../billing/stripe/webhook.route.js';
import { sweepExpiredEvents } from '../events/retention.js';

const SETTINGS =
  'mutation($input: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $input) { name settings { timeZone contentCapture retentionDays limiterFailMode } } }';
const CHANGE_ROLE = 'mutation($m: ID!, $r: Role!) { changeMemberRole(memberId: $m, role: $r) { id role user { email } } }';
const REMOVE = 'mutation($m: ID!) { removeMember(memberId: $m) }';

let cp: TestControlPlane;
let org: TestOrg;
const secrets: string[] = [];

async function member(role: (typeof ROLES)[number], target = org): Promise<TestPerson> {
  const p = await addMember(cp, target.orgId, role);
  secrets.push(p.password, p.session);
  return p;
}

beforeAll(async () => {
  cp = await startPlane({ KEYWARD_EDITION: 'service' });
  org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

describe('the viewer', () => {
  it("lists the role's permissions exactly as roles.ts grants them", async () => {
    for (const role of ROLES) {
      const p = await member(role);
      const res = await cp.gql<{ viewer: { role: string; permissions: string[] } }>('{ viewer { role permissions } }', {}, { session: p.session });
      expect(res.data!.viewer.role).toBe(role.toUpperCase());
      expect([...res.data!.viewer.permissions].sort()).toEqual(permissionsOf(role).sort());
    }
  });

  it('is null for an anonymous caller, who can read nothing else', async () => {
    expect((await cp.gql<{ viewer: unknown }>('{ viewer { kind } }')).data!.viewer).toBeNull();
    expectError(await cp.gql('{ organization { id } }'), 'UNAUTHENTICATED');
  });
});

describe('creating an organization', () => {
  it('makes the creator its owner and switches the session to it', async () => {
    const p = await member('developer');
    const res = await cp.gql<{ createOrganization: { id: string; name: string; slug: string; plan: string; settings: { timeZone: string } } }>(
      'mutation { createOrganization(input: { name: "Ünïcode Labs" }) { id name slug plan settings { timeZone } } }',
      {},
      { session: p.session },
    );
    expectOk(res);
    const created = res.data!.createOrganization;
    expect(created).toMatchObject({ name: 'Ünïcode Labs', slug: 'unicode-labs', plan: 'FREE', settings: { timeZone: 'UTC' } });
    const viewer = await cp.gql<{ viewer: { role: string; organization: { id: string }; organizations: unknown[] } }>(
      '{ viewer { role organization { id } organizations { role } } }',
      {},
      { session: p.session },
    );
    expect(viewer.data!.viewer).toMatchObject({ role: 'OWNER', organization: { id: created.id } });
    expect(viewer.data!.viewer.organizations).toHaveLength(2);
    const [published] = await cp.services.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*)::int as n from config_versions where org_id = ?', [created.id]);
    expect(published.n).toBe(1);
    const again = await cp.gql<{ createOrganization: { slug: string } }>(
      'mutation { createOrganization(input: { name: "Unicode Labs" }) { slug } }',
      {},
      { session: p.session },
    );
    expect(again.data!.createOrganization.slug).toMatch(/^unicode-labs-[0-9a-f]{6}$/);
  });

  it('refuses a taken or malformed slug', async () => {
    const p = await member('developer');
    expectError(
      await cp.gql(`mutation { createOrganization(input: { name: "X", slug: "${org.slug}" }) { id } }`, {}, { session: p.session }),
      'CONFLICT',
      /taken/,
    );
    expectError(
      await cp.gql('mutation { createOrganization(input: { name: "X", slug: "Bad Slug" }) { id } }', {}, { session: p.session }),
      'BAD_USER_INPUT',
      /slug/,
    );
  });
});

describe('organization settings', () => {
  it('changes only the fields given', async () => {
    const res = await cp.gql<{ updateOrganizationSettings: unknown }>(
      SETTINGS,
      { input: { timeZone: 'Europe/Paris', retentionDays: 30 } },
      { session: org.owner.session },
    );
    expectOk(res);
    expect(res.data!.updateOrganizationSettings).toEqual({
      name: org.name,
      settings: { timeZone: 'Europe/Paris', contentCapture: false, retentionDays: 30, limiterFailMode: 'CLOSED' },
    });
    const more = await cp.gql<{ updateOrganizationSettings: { settings: unknown } }>(
      SETTINGS,
      { input: { contentCapture: true, limiterFailMode: 'OPEN' } },
      { session: org.owner.session },
    );
    expect(more.data!.updateOrganizationSettings.settings).toEqual({
      timeZone: 'Europe/Paris',
      contentCapture: true,
      retentionDays: 30,
      limiterFailMode: 'OPEN',
    });
  });

  it('takes the current IANA names that the runtime lists under their older ones (Asia/Kolkata, Asia/Kathmandu)', async () => {
    for (const timeZone of ['Asia/Kolkata', 'Asia/Kathmandu', 'Europe/Kyiv']) {
      const res = await cp.gql<{ updateOrganizationSettings: { settings: { timeZone: string } } }>(
        SETTINGS,
        { input: { timeZone } },
        { session: org.owner.session },
      );
      expectOk(res);
      expect(res.data!.updateOrganizationSettings.settings.timeZone).toBe(timeZone);
    }
    expectOk(await cp.gql(SETTINGS, { input: { timeZone: 'Europe/Paris' } }, { session: org.owner.session }));
  });

  it('refuses a time zone that is not IANA and a retention out of range, naming the field', async () => {
    const zone = await cp.gql(SETTINGS, { input: { timeZone: 'Mars/Olympus' } }, { session: org.owner.session });
    expectError(zone, 'BAD_USER_INPUT', /timeZone must be an IANA time zone/);
    expect(zone.errors![0].extensions!.fields).toHaveProperty('timeZone');
    expectError(await cp.gql(SETTINGS, { input: { timeZone: '+05:30' } }, { session: org.owner.session }), 'BAD_USER_INPUT', /timeZone/);
    expectError(await cp.gql(SETTINGS, { input: { retentionDays: 0 } }, { session: org.owner.session }), 'BAD_USER_INPUT', /retentionDays/);
    expectError(await cp.gql(SETTINGS, { input: { retentionDays: 4000 } }, { session: org.owner.session }), 'BAD_USER_INPUT', /retentionDays/);
    expectError(await cp.gql(SETTINGS, { input: { limiterFailMode: 'SOMETIMES' } }, { session: org.owner.session }), 'BAD_USER_INPUT');
  });

  it('publishes the settings nodes enforce as a new config version', async () => {
    expectOk(await cp.gql(SETTINGS, { input: { timeZone: 'Asia/Tokyo', contentCapture: false, limiterFailMode: 'CLOSED' } }, { session: org.owner.session }));
    const [row] = await cp.services.orm.em
      .fork()
      .execute<{ collections: { orgs: Record<string, { timeZone: string; limiterFailMode: string }> } }[]>(
        'select collections from config_versions where org_id = ? order by version desc limit 1',
        [org.orgId],
      );
    expect(row.collections.orgs[org.orgId]).toMatchObject({ timeZone: 'Asia/Tokyo', limiterFailMode: 'closed' });
  });

  it('is for owners and admins only', async () => {
    const admin = await member('admin');
    expectOk(await cp.gql(SETTINGS, { input: { retentionDays: 30 } }, { session: admin.session }));
    const dev = await member('developer');
    expectError(await cp.gql(SETTINGS, { input: { retentionDays: 30 } }, { session: dev.session }), 'FORBIDDEN', /org:manage/);
  });
});

describe('retention by plan', () => {
  const RETENTION =
    '{ organization { settings { retentionDays contentRetentionDays } retention { eventDays eventSource contentDays contentSource fixedByPlan } } }';
  const retentionOf = async (person: TestPerson) => {
    const res = await cp.gql<{ organization: { settings: unknown; retention: unknown } }>(RETENTION, {}, { session: person.session });
    expectOk(res);
    return res.data!.organization;
  };

  it('keeps Free and Pro at 30 days, refusing another period with the plan that allows it', async () => {
    for (const plan of ['free', 'pro'] as const) {
      const target = await createOrgWithOwner(cp, { plan });
      const label = plan === 'free' ? 'Free' : 'Pro';
      for (const retentionDays of [90, 7, null]) {
        expectError(
          await cp.gql(SETTINGS, { input: { retentionDays } }, { session: target.owner.session }),
          'PLAN_REQUIRED',
          new RegExp(`^The ${label} plan keeps events and admin-log entries 30 days; choosing another period is available on the Enterprise plan\\.$`),
        );
      }
      expectOk(await cp.gql(SETTINGS, { input: { retentionDays: 30, contentRetentionDays: 14 } }, { session: target.owner.session }));
      expect(await retentionOf(target.owner)).toEqual({
        settings: { retentionDays: 30, contentRetentionDays: 14 },
        retention: { eventDays: 30, eventSource: 'PLAN', contentDays: 14, contentSource: 'ORGANIZATION', fixedByPlan: true },
      });
    }
  });

  it('lets Enterprise choose any period or none, keeps content within it, and clamps to 30 days on a downgrade', async () => {
    const target = await createOrgWithOwner(cp, { plan: 'enterprise' });
    expect((await retentionOf(target.owner)).retention).toEqual({
      eventDays: 30,
      eventSource: 'ORGANIZATION',
      contentDays: 30,
      contentSource: 'EVENTS',
      fixedByPlan: false,
    });
    expectOk(await cp.gql(SETTINGS, { input: { retentionDays: 400 } }, { session: target.owner.session }));
    const tooLong = await cp.gql(SETTINGS, { input: { contentRetentionDays: 500 } }, { session: target.owner.session });
    expectError(tooLong, 'BAD_USER_INPUT', /^contentRetentionDays \(500\) may not exceed the 400 days events are kept: content goes with its event\.$/);
    expect(tooLong.errors![0].extensions!.fields).toHaveProperty('contentRetentionDays');
    expectOk(await cp.gql(SETTINGS, { input: { retentionDays: null } }, { session: target.owner.session }));
    expect(await retentionOf(target.owner)).toEqual({
      settings: { retentionDays: null, contentRetentionDays: 90 },
      retention: { eventDays: null, eventSource: 'ORGANIZATION', contentDays: 90, contentSource: 'ORGANIZATION', fixedByPlan: false },
    });

    // The plan change Stripe's webhook applies.
    expect(await setPlan(cp.services, cp.services.orm.em.fork() as EntityManager, target.orgId, 'pro')).toBe(true);
    expect(await retentionOf(target.owner)).toEqual({
      settings: { retentionDays: 30, contentRetentionDays: 90 },
      retention: { eventDays: 30, eventSource: 'PLAN', contentDays: 30, contentSource: 'EVENTS', fixedByPlan: true },
    });
  });

  it("deletes a Pro organization's admin log after 30 days whatever it chose before plans applied, and an Enterprise one's never when it keeps it forever", async () => {
    const [pro, enterprise] = [await createOrgWithOwner(cp, { plan: 'pro' }), await createOrgWithOwner(cp, { plan: 'enterprise' })];
    const em = cp.services.orm.em.fork() as EntityManager;
    await em.execute(`update organizations set settings = jsonb_set(settings, '{retentionDays}', ?::jsonb) where id = ?`, ['90', pro.orgId]);
    await em.execute(`update organizations set settings = jsonb_set(settings, '{retentionDays}', 'null'::jsonb) where id = ?`, [enterprise.orgId]);
    const entryOf = async (orgId: string) =>
      (
        await em.execute<{ id: string }[]>(
          `insert into audit_entries (id, created_at, organization_id, actor, action, outcome, args, ip_hash, user_agent, request_id)
           values (gen_random_uuid(), now() - interval '40 days', ?, 'user:test', 'createKey', 'success', '{}', 'h', 'test', 'r') returning id`,
          [orgId],
        )
      )[0]!.id;
    const entries = [await entryOf(pro.orgId), await entryOf(enterprise.orgId)];

    await sweepExpiredEvents(cp.services);
    const kept = await em.execute<{ id: string }[]>('select id from audit_entries where id in (?, ?)', entries);
    expect(kept.map((r) => r.id)).toEqual([entries[1]]);
    expect((await retentionOf(pro.owner)).settings).toEqual({ retentionDays: 30, contentRetentionDays: 90 });
    expect((await retentionOf(enterprise.owner)).retention).toMatchObject({ eventDays: null, eventSource: 'ORGANIZATION' });
  });
});

describe('members', () => {
  it('lists everyone with their role and email', async () => {
    const dev = await member('developer');
    const res = await cp.gql<{ members: { id: string; role: string; user: { email: string } }[] }>(
      '{ members { id role user { email } } }',
      {},
      { session: dev.session },
    );
    expect(res.data!.members).toEqual(expect.arrayContaining([{ id: dev.memberId, role: 'DEVELOPER', user: { email: dev.email } }]));
    expect(res.data!.members[0].user.email).toBe(org.owner.email);
  });

  it('lets an admin change roles up to admin, but not grant or touch owner', async () => {
    const admin = await member('admin');
    const dev = await member('developer');
    const res = await cp.gql<{ changeMemberRole: { role: string } }>(CHANGE_ROLE, { m: dev.memberId, r: 'ADMIN' }, { session: admin.session });
    expect(res.data!.changeMemberRole.role).toBe('ADMIN');
    expectError(await cp.gql(CHANGE_ROLE, { m: dev.memberId, r: 'OWNER' }, { session: admin.session }), 'FORBIDDEN', /Only owners/);
    expectError(await cp.gql(CHANGE_ROLE, { m: org.owner.memberId, r: 'AUDITOR' }, { session: admin.session }), 'FORBIDDEN', /Only owners/);
    expectError(await cp.gql(REMOVE, { m: org.owner.memberId }, { session: admin.session }), 'FORBIDDEN', /Only owners/);
  });

  it('never leaves an organization without an owner', async () => {
    const solo = await createOrgWithOwner(cp);
    secrets.push(solo.owner.password, solo.owner.session);
    const demote = await cp.gql(CHANGE_ROLE, { m: solo.owner.memberId, r: 'ADMIN' }, { session: solo.owner.session });
    expectError(demote, 'CONFLICT', /at least one owner/);
    expect(demote.errors![0].extensions!.reason).toBe('LAST_OWNER');
    expectError(await cp.gql(REMOVE, { m: solo.owner.memberId }, { session: solo.owner.session }), 'CONFLICT', /at least one owner/);

    const second = await member('admin', solo);
    expectOk(await cp.gql(CHANGE_ROLE, { m: second.memberId, r: 'OWNER' }, { session: solo.owner.session }));
    expectOk(await cp.gql(CHANGE_ROLE, { m: solo.owner.memberId, r: 'ADMIN' }, { session: solo.owner.session }));
    expectError(await cp.gql(CHANGE_ROLE, { m: second.memberId, r: 'AUDITOR' }, { session: second.session }), 'CONFLICT', /at least one owner/);
  });

  it('keeps one owner when the last two demote each other at the same moment', async () => {
    const pair = await createOrgWithOwner(cp);
    secrets.push(pair.owner.password, pair.owner.session);
    const other = await member('owner', pair);
    const results = await Promise.all([
      cp.gql(CHANGE_ROLE, { m: other.memberId, r: 'ADMIN' }, { session: pair.owner.session }),
      cp.gql(CHANGE_ROLE, { m: pair.owner.memberId, r: 'ADMIN' }, { session: other.session }),
    ]);
    const owners = await cp.services.orm.em
      .fork()
      .execute(`select count(*)::int as n from memberships where organization_id = ? and role = 'owner'`, [pair.orgId]);
    expect(owners[0].n).toBe(1);
    expect(results.filter((r) => r.errors).length).toBe(1);
  });

  it('removes a member, who then cannot act in the organization', async () => {
    const dev = await member('developer');
    const res = await cp.gql<{ removeMember: string }>(REMOVE, { m: dev.memberId }, { session: org.owner.session });
    expect(res.data!.removeMember).toBe(dev.memberId);
    const after = await cp.gql<{ viewer: { organization: unknown; role: unknown } }>('{ viewer { organization { id } role } }', {}, { session: dev.session });
    expect(after.data!.viewer).toEqual({ organization: null, role: null });
    expectError(await cp.gql('{ members { id } }', {}, { session: dev.session }), 'FORBIDDEN', /not a member/);
  });

  it('answers NOT_FOUND for an unknown member and BAD_USER_INPUT for a malformed id', async () => {
    expectError(await cp.gql(REMOVE, { m: '00000000-0000-4000-8000-000000000000' }, { session: org.owner.session }), 'NOT_FOUND');
    expectError(await cp.gql(REMOVE, { m: 'not-an-id' }, { session: org.owner.session }), 'BAD_USER_INPUT', /memberId must be a member id/);
  });
});
