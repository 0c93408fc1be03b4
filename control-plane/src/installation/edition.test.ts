import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ConfigError, loadControlPlaneConfig } from '../config.js';
import { createOrgWithMember, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const SECRETS = { KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'), KEYWARD_HASH_SALT: randomBytes(32).toString('base64') };
const STRIPE = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123' };
const HOLD_POLICY = 'name: Holds\nrules:\n  - id: hold-all\n    action: { type: hold, timeoutSeconds: 60, onTimeout: block }\n';

describe('the edition and gateway address settings', () => {
  it('run self-hosted without a gateway address unless told otherwise', () => {
    expect(loadControlPlaneConfig(SECRETS)).toMatchObject({ edition: 'self-hosted', gatewayUrl: null, stripe: null });
    expect(loadControlPlaneConfig({ ...SECRETS, ...STRIPE, KEYWARD_EDITION: 'service', KEYWARD_GATEWAY_URL: 'https://gw.example.com/' })).toMatchObject({
      edition: 'service',
      gatewayUrl: 'https://gw.example.com',
      stripe: { secretKey: STRIPE.STRIPE_SECRET_KEY },
    });
  });

  it.each([
    [{ KEYWARD_EDITION: 'saas' }, 'KEYWARD_EDITION must be one of self-hosted, service, not "saas".'],
    [{ KEYWARD_GATEWAY_URL: 'gw.example.com' }, 'KEYWARD_GATEWAY_URL must be an absolute URL.'],
    [{ KEYWARD_GATEWAY_URL: 'ftp://gw.example.com' }, 'KEYWARD_GATEWAY_URL must use http: or https:.'],
    [STRIPE, 'STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are only used with KEYWARD_EDITION=service; a self-hosted installation sells no plans.'],
  ])('refuses %o with one sentence', (env, message) => {
    expect(() => loadControlPlaneConfig({ ...SECRETS, ...env })).toThrow(new ConfigError(message));
  });
});

/** Both editions side by side, each with an organization on the Free plan. */
const planes: Record<'self-hosted' | 'service', { cp: TestControlPlane; owner: OrgMember }> = {} as never;

beforeAll(async () => {
  for (const [edition, env] of [
    ['self-hosted', {}],
    ['service', { KEYWARD_EDITION: 'service', KEYWARD_GATEWAY_URL: 'https://gw.example.com' }],
  ] as const) {
    const cp = await startTestControlPlane(inject('pgAdminUrl'), env);
    const owner = await createOrgWithMember(cp, 'owner');
    await cp.services.orm.em.fork().getConnection().execute('update organizations set plan = ? where id = ?', ['free', owner.orgId]);
    planes[edition] = { cp, owner };
  }
});

afterAll(async () => {
  for (const plane of Object.values(planes)) await plane?.cp.close();
});

const BILLING = `{ installation { edition gatewayUrl } organization { plan } billingPlans { plan monthlyFee }
  billingStatement(month: "2026-01") { plan total lines { kind } } }`;

describe('a self-hosted installation', () => {
  it('says so, and shows no plan, plan price or plan line', async () => {
    const { owner } = planes['self-hosted'];
    const res = await owner.gql(BILLING);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      installation: { edition: 'SELF_HOSTED', gatewayUrl: null },
      organization: { plan: null },
      billingPlans: [],
      billingStatement: { plan: null, total: '0.00', lines: [] },
    });
  });

  it('turns every feature on, whatever plan the organization row holds', async () => {
    const { owner } = planes['self-hosted'];
    const webhook = await owner.gql(
      'mutation { createWebhook(input: { url: "https://hooks.example.com/keyward", events: ["approval.requested"] }) { secret } }',
    );
    expect(webhook.errors).toBeUndefined();
    const slack = await owner.gql('mutation { createSlackIntegration(input: { secretUrl: "https://hooks.slack.com/services/T0/B0/abc" }) { id } }');
    expect(slack.errors).toBeUndefined();
    const budget = await owner.gql('mutation { createBudget(input: { scopeKind: ORG, period: MONTH, limit: "10", action: HOLD }) { id } }');
    expect(budget.errors).toBeUndefined();
    const policy = await owner.gql('mutation($source: String!) { createPolicy(input: { source: $source }) { id } }', { source: HOLD_POLICY });
    expect(policy.errors).toBeUndefined();
  });

  it('refuses plan changes and subscriptions in one sentence', async () => {
    const { owner } = planes['self-hosted'];
    const message = 'This Keyward installation is self-hosted: it has no plans, and every feature is on.';
    for (const mutation of ['mutation { changePlan(plan: PRO) }', 'mutation { createCheckoutSession(input: { kind: SUBSCRIPTION, plan: PRO }) { url } }']) {
      const res = await owner.gql(mutation);
      expect(res.errors?.[0]).toMatchObject({ message, extensions: { code: 'CONFLICT' } });
    }
  });

  it('tells the installation only to signed-in callers', async () => {
    const res = await planes['self-hosted'].cp.gql('{ installation { edition } }');
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('a service installation', () => {
  it('shows plans and the configured gateway address, and gates features by plan', async () => {
    const { owner } = planes.service;
    const res = await owner.gql<{ billingPlans: unknown[]; billingStatement: { plan: string; lines: { kind: string }[] } }>(BILLING);
    expect(res.data).toMatchObject({
      installation: { edition: 'SERVICE', gatewayUrl: 'https://gw.example.com' },
      organization: { plan: 'FREE' },
      billingStatement: { plan: 'FREE', lines: [{ kind: 'plan_fee' }] },
    });
    expect(res.data!.billingPlans).toHaveLength(3);
    const webhook = await owner.gql(
      'mutation { createWebhook(input: { url: "https://hooks.example.com/keyward", events: ["approval.requested"] }) { secret } }',
    );
    expect(webhook.errors?.[0]).toMatchObject({ message: 'Webhooks are available on the Pro plan.', extensions: { code: 'PLAN_REQUIRED' } });
    const policy = await owner.gql('mutation($source: String!) { createPolicy(input: { source: $source }) { id } }', { source: HOLD_POLICY });
    expect(policy.errors?.[0].extensions?.code).toBe('PLAN_REQUIRED');
  });
});
