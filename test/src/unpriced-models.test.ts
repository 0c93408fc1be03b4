import Anthropic from '@anthropic-ai/sdk';
import { costMicros } from '@keyward/shared';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from './support/system.js';

const UNKNOWN = 'gpt-4o-nonexistent';
/** A fine-tune of a base model the catalog has no fine-tuning price for (it prices `ft:gpt-4o-mini…`). */
const FINE_TUNED = 'ft:gpt-4.1-nano-2025-04-14:acme:support:9xYz1';
/** The mock's default usage on every answer. */
const USAGE = { inputTokens: 12, outputTokens: 7, cachedInputTokens: 0 };

/**
 * A model without a price (a typo, a brand-new model, a fine-tune) would cost $0.00 in every
 * budget and credit balance while the provider charges for it. While a budget or prepaid credits
 * apply, such a model is refused with a message that says how to price it, unless the
 * organization chose a fallback (charge a set price, or allow and tag the event `unpriced`).
 */
describe('models without a price', () => {
  let system: TestSystem;
  let key: { id: string; secret: string };
  let db: pg.Client;
  let openai: OpenAI;

  /** Runs a change and waits until the node serves the config version it published. */
  const published = async (change: () => Promise<{ errors?: unknown }>) => {
    const before = system.dp.node.readiness().version ?? 0;
    const res = await change();
    expect(res.errors).toBeUndefined();
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the change to reach the node');
  };
  const chat = (model: string) =>
    openai.chat.completions
      .create({ model, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
      .then(
        ({ response }) => ({ requestId: response.headers.get('x-request-id')!, error: null }),
        (error: InstanceType<typeof OpenAI.APIError>) => ({ requestId: error.headers?.get('x-request-id') ?? '', error }),
      );
  const eventOf = (requestId: string) =>
    eventually(
      async () => (await db.query('select * from usage_events where request_id = $1', [requestId])).rows[0] as Record<string, unknown> | undefined,
      10_000,
      `the event of ${requestId}`,
    );

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    const anthropic = await system.owner.gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { provider: 'ANTHROPIC', name: 'anthropic', apiKey: 'sk-ant-mock-secret', baseUrl: system.mock.url },
    });
    expect(anthropic.errors).toBeUndefined();
    key = await system.createKey();
    openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  it('passes at no cost, tagged unpriced, where no budget or credits apply', async () => {
    const { requestId, error } = await chat(UNKNOWN);
    expect(error).toBeNull();
    const event = await eventOf(requestId);
    expect(event).toMatchObject({ decision: 'allowed', status: 200 });
    expect(Number(event.cost_micros)).toBe(0);
    expect(event.tags).toContain('unpriced');

    // A key with a budget of its own is refused the same model.
    const budgeted = await system.createKey();
    await published(() =>
      system.owner.gql('mutation($key: ID!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: MONTH, limit: "5.00" }) { id } }', {
        key: budgeted.id,
      }),
    );
    const refused = await new OpenAI({ apiKey: budgeted.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: UNKNOWN, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: 'model_unpriced' });
  });

  it('is refused, naming the model and how to price it, once prepaid credits apply', async () => {
    const topUp = await system.owner.gql('mutation { topUpCredits(input: { amount: "10.00", reference: "inv-1" }) { balance } }');
    expect(topUp.errors).toBeUndefined();
    await published(() => system.owner.gql('mutation { setCreditsEnabled(enabled: true) { enabled } }'));
    const forwarded = system.mock.requests.length;

    for (const model of [UNKNOWN, FINE_TUNED]) {
      const { requestId, error } = await chat(model);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error).toMatchObject({ status: 403, code: 'model_unpriced', param: 'model' });
      const message = (error!.error as { message: string }).message;
      expect(message).toContain(`"${model}" has no price`);
      expect(message).toContain('setCustomModelPrice');
      expect(message).toContain('unpricedModels');
      expect(message).not.toContain(key.secret);
      const event = await eventOf(requestId);
      expect(event).toMatchObject({ decision: 'denied', status: 403, error_code: 'model_unpriced', model });
      expect(event.tags).toContain('unpriced');
    }

    // Anthropic's client gets Anthropic's error shape.
    const anthropic = new Anthropic({ apiKey: key.secret, baseURL: system.dp.url, maxRetries: 0 });
    const error = await anthropic.messages
      .create({ model: 'claude-nonexistent-9', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(system.mock.requests.length).toBe(forwarded);

    // The console's list of models called without a price.
    const listed = await eventually(
      async () => {
        const res = await system.owner.gql<{ unpricedModels: { model: string; refused: number; served: number }[] }>(
          '{ unpricedModels { model refused served } }',
        );
        return res.data!.unpricedModels.length === 3 ? res.data!.unpricedModels : undefined;
      },
      10_000,
      'three unpriced models listed',
    );
    expect(listed).toEqual(
      expect.arrayContaining([
        { model: UNKNOWN, refused: 2, served: 1 },
        { model: FINE_TUNED, refused: 1, served: 0 },
        { model: 'claude-nonexistent-9', refused: 1, served: 0 },
      ]),
    );
  });

  it('passes at the price the organization sets for it, and leaves the list of unpriced models', async () => {
    await published(() =>
      system.owner.gql(
        `mutation { setCustomModelPrice(input: { model: "${UNKNOWN}", provider: OPENAI, inputPrice: "1.00", outputPrice: "4.00" }) { model inputPrice } }`,
      ),
    );
    const { requestId, error } = await chat(UNKNOWN);
    expect(error).toBeNull();
    const event = await eventOf(requestId);
    expect(Number(event.cost_micros)).toBe(
      costMicros({ model: UNKNOWN, provider: 'openai', inputPerMTok: 1_000_000, outputPerMTok: 4_000_000, cachedInputPerMTok: 1_000_000 }, USAGE),
    );
    expect(Number(event.cost_micros)).toBeGreaterThan(0);
    expect(event.tags).not.toContain('unpriced');

    const res = await system.owner.gql<{ customModelPrices: unknown[]; unpricedModels: { model: string }[] }>(
      '{ customModelPrices { model provider inputPrice outputPrice cachedInputPrice } unpricedModels { model } }',
    );
    expect(res.data!.customModelPrices).toEqual([{ model: UNKNOWN, provider: 'OPENAI', inputPrice: '1.00', outputPrice: '4.00', cachedInputPrice: '1.00' }]);
    expect(res.data!.unpricedModels.map((m) => m.model)).not.toContain(UNKNOWN);
  });

  it('follows the organization’s fallback: charge a set price, or allow and tag', async () => {
    const settings = 'unpricedModels { mode inputPrice outputPrice }';
    await published(() =>
      system.owner.gql(
        `mutation { updateOrganizationSettings(input: { unpricedModels: { mode: CHARGE, inputPrice: "2.00", outputPrice: "8.00" } }) { settings { ${settings} } } }`,
      ),
    );
    const charged = await chat(FINE_TUNED);
    expect(charged.error).toBeNull();
    const chargedEvent = await eventOf(charged.requestId);
    expect(Number(chargedEvent.cost_micros)).toBe(
      costMicros({ model: FINE_TUNED, provider: 'openai', inputPerMTok: 2_000_000, outputPerMTok: 8_000_000, cachedInputPerMTok: 2_000_000 }, USAGE),
    );
    expect(chargedEvent.tags).toContain('unpriced');

    await published(() => system.owner.gql('mutation { updateOrganizationSettings(input: { unpricedModels: { mode: ALLOW } }) { id } }'));
    const allowed = await chat(FINE_TUNED);
    expect(allowed.error).toBeNull();
    const allowedEvent = await eventOf(allowed.requestId);
    expect(Number(allowedEvent.cost_micros)).toBe(0);
    expect(allowedEvent.tags).toContain('unpriced');
    const read = await system.owner.gql<{ organization: { settings: { unpricedModels: unknown } } }>(`{ organization { settings { ${settings} } } }`);
    expect(read.data!.organization.settings.unpricedModels).toEqual({ mode: 'ALLOW', inputPrice: null, outputPrice: null });

    const incomplete = await system.owner.gql(
      'mutation { updateOrganizationSettings(input: { unpricedModels: { mode: CHARGE, inputPrice: "2.00" } }) { id } }',
    );
    expect(incomplete.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(incomplete.errors?.[0].message).toContain('needs inputPrice and outputPrice');
  });
});
