import { describe, expect, it } from 'vitest';
import type { ConfigDelta, ConfigSnapshot, CredentialConfig, KeyConfig, OrgConfig } from './config.js';
import type { EventBatch, UsageEvent } from './events.js';
import type { RouteConfig } from './routes.js';
import { emptyBaseline, learnMinute } from '../anomaly/baseline.js';
import { ANOMALY_REASON_CODES } from '../anomaly/score.js';
import { validateConfigMessage, validateEventBatch, validateUsageEvent, WireError } from './validate.js';

const ORG = '0190f3a1-7c2e-7a10-8b00-000000000001';
const KEY = '0190f3a1-7c2e-7a10-8b00-000000000002';
const CRED = '0190f3a1-7c2e-7a10-8b00-000000000003';
const HASH = 'ab12'.repeat(16);
const ROUTE = '0190f3a1-7c2e-7a10-8b00-000000000004';

const org: OrgConfig = {
  id: ORG,
  plan: 'pro',
  timeZone: 'Europe/Paris',
  contentCapture: false,
  limiterFailMode: 'closed',
  customModels: [{ model: 'my-llama', provider: 'openai_compatible', inputPerMTok: 100_000, outputPerMTok: 200_000, cachedInputPerMTok: 0 }],
};

const key: KeyConfig = {
  id: KEY,
  orgId: ORG,
  hash: HASH,
  prefix: 'kw_AbC12',
  name: 'ci agent',
  ownerLabel: 'alice@example.com',
  teamId: null,
  status: 'active',
  expiresAt: '2026-01-01T00:00:00.000Z',
  graceUntil: null,
  allowedModels: ['gpt-4o*', 'claude-*'],
  credentialIds: [CRED],
  labels: { env: 'prod' },
};

const credential: CredentialConfig = {
  id: CRED,
  orgId: ORG,
  provider: 'openai',
  name: 'OpenAI prod',
  baseUrl: null,
  models: [],
  secret: {
    kekId: 'local:0011223344556677',
    wrappedKey: Buffer.alloc(60, 1).toString('base64'),
    iv: Buffer.alloc(12, 2).toString('base64'),
    ciphertext: Buffer.from('ciphertext').toString('base64'),
    tag: Buffer.alloc(16, 3).toString('base64'),
  },
  secretVersion: 1,
};

const snapshot: ConfigSnapshot = {
  type: 'snapshot',
  version: 7,
  generatedAt: '2025-06-01T12:00:00.000Z',
  orgs: { [ORG]: org },
  keys: { [HASH]: key },
  credentials: { [CRED]: credential },
  policies: {},
  budgets: {},
  rateLimits: {},
  routes: {},
  roles: {},
  mcpServers: {},
};

const route: RouteConfig = {
  id: ROUTE,
  orgId: ORG,
  version: 1,
  name: 'r',
  match: ['fast'],
  strategy: 'fallback',
  rules: [],
  maxLatencyMs: null,
  breaker: { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 },
  targets: [{ credentialId: CRED, model: 'gpt-4o', weight: 1, timeoutMs: 1000, maxRetries: 0, contextTokens: null }],
  attachments: [],
};

const delta: ConfigDelta = {
  type: 'delta',
  fromVersion: 7,
  version: 8,
  generatedAt: '2025-06-01T12:00:01Z',
  changed: { keys: { [HASH]: { ...key, status: 'revoked' } } },
  removed: { credentials: [CRED] },
};

const event: UsageEvent = {
  id: '0190f3a1-7c2e-7a10-8b00-0000000000aa',
  orgId: ORG,
  keyId: KEY,
  keyPrefix: 'kw_AbC12',
  ownerLabel: 'alice@example.com',
  teamId: null,
  provider: 'openai',
  credentialId: CRED,
  api: 'openai',
  endpoint: 'chat.completions',
  model: 'gpt-4o-mini',
  stream: true,
  status: 200,
  decision: 'allowed',
  errorCode: null,
  startedAt: '2025-06-01T12:00:00.123Z',
  latencyMs: 812,
  ttftMs: 240,
  inputTokens: 1200,
  outputTokens: 300,
  cachedInputTokens: 0,
  costMicros: 360,
  clientIpHash: 'c1',
  userAgentHash: 'u1',
  requestId: 'req_1',
  nodeId: 'node-a',
  tags: ['pii:email'],
  content: null,
};

const batch: EventBatch = { type: 'events', nodeId: 'node-a', events: [event] };

/** A deep copy with one change applied, so each test breaks exactly one field. */
function tweak<T>(value: T, change: (copy: any) => void): unknown {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as Error).message;
  }
  throw new Error('expected a WireError');
}

describe('config message validation', () => {
  it('accepts a complete snapshot and returns it unchanged', () => {
    expect(validateConfigMessage(snapshot)).toBe(snapshot);
  });

  it('accepts an empty snapshot, which a node must get even when there is no config', () => {
    const empty = {
      type: 'snapshot',
      version: 0,
      generatedAt: '2025-06-01T12:00:00Z',
      orgs: {},
      keys: {},
      credentials: {},
      policies: {},
      budgets: {},
      rateLimits: {},
      routes: {},
      roles: {},
      mcpServers: {},
    };
    expect(validateConfigMessage(empty)).toEqual(empty);
  });

  it('accepts a delta with changed and removed entries', () => {
    expect(validateConfigMessage(delta)).toBe(delta);
  });

  it('accepts keys without policyIds (their policies are attachments), and those of older control planes that still list them', () => {
    expect(validateConfigMessage(snapshot)).toBe(snapshot);
    expect(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].policyIds = [KEY])))).not.toThrow();
  });

  it('accepts a key and a route with a response cache, or with none (older control planes)', () => {
    expect(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].cache = { ttlSeconds: 600 })))).not.toThrow();
    expect(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].cache = null)))).not.toThrow();
    expect(() => validateConfigMessage(tweak(delta, (d) => (d.changed.routes = { [ROUTE]: { ...route, cache: { ttlSeconds: 604800 } } })))).not.toThrow();
  });

  it('accepts a key and an organization with an anomaly baseline, and refuses a malformed one naming the field', () => {
    const baseline = emptyBaseline();
    learnMinute(baseline, { at: Date.UTC(2026, 0, 6, 10), requests: 3, costMicros: 900 });
    expect(() =>
      validateConfigMessage(
        tweak(snapshot, (s) => {
          s.keys[HASH].anomalyBaseline = baseline;
          s.orgs[ORG].anomalyBaseline = baseline;
        }),
      ),
    ).not.toThrow();
    expect(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].anomalyBaseline = null)))).not.toThrow();
    expect(messageOf(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].anomalyBaseline = { ...baseline, requestsPerMinute: [] }))))).toBe(
      `config snapshot "keys.${HASH}.anomalyBaseline.requestsPerMinute" must list 168 hours`,
    );
    const negative = structuredClone(baseline);
    negative.requestsPerMinute[34]!.m = -1;
    expect(messageOf(() => validateConfigMessage(tweak(snapshot, (s) => (s.orgs[ORG].anomalyBaseline = negative))))).toBe(
      `config snapshot "orgs.${ORG}.anomalyBaseline.requestsPerMinute[34].m" must be a finite number, not negative`,
    );
  });

  it('reads the routes and roles collections as empty when a snapshot from an older control plane (or a saved last-known-good one) lacks them', () => {
    const older = tweak(snapshot, (s) => {
      delete s.routes;
      delete s.roles;
    });
    expect(validateConfigMessage(older)).toMatchObject({ routes: {}, roles: {}, keys: snapshot.keys });
    expect(() => validateConfigMessage(tweak(snapshot, (s) => delete s.budgets))).toThrow('config snapshot "budgets" is missing');
  });

  it('ignores fields it does not know, so a newer control plane can add some', () => {
    expect(() => validateConfigMessage(tweak(snapshot, (s) => (s.keys[HASH].newField = 1)))).not.toThrow();
  });

  it.each([
    ['a non-object', null, 'config message must be an object'],
    ['an unknown type', { type: 'patch' }, 'config message "type" must be "snapshot" or "delta"'],
    ['a negative version', tweak(snapshot, (s) => (s.version = -1)), 'config snapshot "version" must be a non-negative integer'],
    ['a missing collection', tweak(snapshot, (s) => delete s.credentials), 'config snapshot "credentials" is missing'],
    [
      'a bad date',
      tweak(snapshot, (s) => (s.generatedAt = 'yesterday')),
      'config snapshot "generatedAt" must be an ISO 8601 date-time such as 2025-06-01T12:00:00Z',
    ],
    ['a bad plan', tweak(snapshot, (s) => (s.orgs[ORG].plan = 'gold')), `config snapshot "orgs.${ORG}.plan" must be one of "free", "pro", "enterprise"`],
    [
      'an unknown time zone',
      tweak(snapshot, (s) => (s.orgs[ORG].timeZone = 'Mars/Olympus')),
      `config snapshot "orgs.${ORG}.timeZone" must be an IANA time zone such as Europe/Paris`,
    ],
    [
      'a fractional price',
      tweak(snapshot, (s) => (s.orgs[ORG].customModels[0].inputPerMTok = 1.5)),
      `config snapshot "orgs.${ORG}.customModels[0].inputPerMTok" must be a non-negative integer`,
    ],
    ['an org under another id', tweak(snapshot, (s) => (s.orgs[ORG].id = KEY)), `config snapshot "orgs.${ORG}.id" must equal its map key`],
    [
      'a key not keyed by its hash',
      tweak(snapshot, (s) => (s.keys[HASH].hash = 'cd34'.repeat(16))),
      `config snapshot "keys.${HASH}.hash" must equal its map key`,
    ],
    [
      'an upper-case hash',
      tweak(snapshot, (s) => (s.keys[HASH].hash = HASH.toUpperCase())),
      `config snapshot "keys.${HASH}.hash" must be 64 lower-case hex characters`,
    ],
    [
      'a number among allowed models',
      tweak(snapshot, (s) => (s.keys[HASH].allowedModels[1] = 5)),
      `config snapshot "keys.${HASH}.allowedModels[1]" must be a non-empty string`,
    ],
    [
      'a non-UUID credential id',
      tweak(snapshot, (s) => (s.keys[HASH].credentialIds = ['cred-1'])),
      `config snapshot "keys.${HASH}.credentialIds[0]" must be a UUID`,
    ],
    ['a non-string label', tweak(snapshot, (s) => (s.keys[HASH].labels.env = true)), `config snapshot "keys.${HASH}.labels.env" must be a string`],
    [
      'a bad expiry',
      tweak(snapshot, (s) => (s.keys[HASH].expiresAt = 12)),
      `config snapshot "keys.${HASH}.expiresAt" must be null or an ISO 8601 date-time such as 2025-06-01T12:00:00Z`,
    ],
    ['a bad key status', tweak(snapshot, (s) => (s.keys[HASH].status = 'paused')), `config snapshot "keys.${HASH}.status" must be one of "active", "revoked"`],
    [
      'a short IV',
      tweak(snapshot, (s) => (s.credentials[CRED].secret.iv = 'AAAA')),
      `config snapshot "credentials.${CRED}.secret.iv" must be base64 of 12 bytes`,
    ],
    [
      'a compatible provider without a base URL',
      tweak(snapshot, (s) => (s.credentials[CRED].provider = 'openai_compatible')),
      `config snapshot "credentials.${CRED}.baseUrl" must be set for an openai_compatible provider`,
    ],
    [
      'a relative base URL',
      tweak(snapshot, (s) => (s.credentials[CRED].baseUrl = '/v1')),
      `config snapshot "credentials.${CRED}.baseUrl" must be null or an absolute http or https URL`,
    ],
  ])('rejects %s with a sentence naming the field', (_case, input, message) => {
    expect(messageOf(() => validateConfigMessage(input))).toBe(message);
  });

  it.each([
    ['a version that does not advance', tweak(delta, (d) => (d.version = 7)), 'config delta "version" must be greater than "fromVersion"'],
    [
      'a route target with a wildcard model',
      tweak(delta, (d) => (d.changed.routes = { [ROUTE]: { ...route, targets: [{ ...route.targets[0], model: 'gpt-*' }] } })),
      `config delta "changed.routes.${ROUTE}.targets[0].model" must be one provider model name (no wildcards, at most 200 characters)`,
    ],
    [
      'a route target naming both an alias and a credential',
      tweak(delta, (d) => (d.changed.routes = { [ROUTE]: { ...route, targets: [{ alias: 'cheap', credentialId: CRED }] } })),
      `config delta "changed.routes.${ROUTE}.targets[0]" must name either an alias or a credential and model, not both`,
    ],
    [
      'a route rule whose condition the policy language does not know',
      tweak(delta, (d) => (d.changed.routes = { [ROUTE]: { ...route, rules: [{ when: { promptSize: 3 }, strategy: 'lowest_cost' }] } })),
      `config delta "changed.routes.${ROUTE}.rules[0].when" is not a valid condition: "promptSize" is not a known condition; expected one of: all, any, not, provider, api, endpoint, model, keyLabel, keyMetadata, header, prompt, system, completion, toolOffered, toolCall, inputTokens, maxOutputTokens, costMicros, timeOfDay, provenance, mcpServer, tool, toolArguments, toolResult, anomaly`,
    ],
    [
      'a route cache kept for no time',
      tweak(delta, (d) => (d.changed.routes = { [ROUTE]: { ...route, cache: { ttlSeconds: 0 } } })),
      `config delta "changed.routes.${ROUTE}.cache.ttlSeconds" must be an integer from 1 to 604800`,
    ],
    ['a key cache that is not an object', tweak(snapshot, (s) => (s.keys[HASH].cache = 300)), `config snapshot "keys.${HASH}.cache" must be an object`],
    [
      'a role with an upper-case name',
      tweak(
        delta,
        (d) =>
          (d.changed.roles = { [ROUTE]: { id: ROUTE, orgId: ORG, name: 'Reviewer', systemPrompt: '', temperature: null, maxTokens: null, routeId: ROUTE } }),
      ),
      `config delta "changed.roles.${ROUTE}.name" must be lower-case letters, digits, ".", "-" or "_" (at most 64)`,
    ],
    [
      'a bad changed entry',
      tweak(delta, (d) => (d.changed.keys[HASH].allowedModels = ['gpt-4o', 3])),
      `config delta "changed.keys.${HASH}.allowedModels[1]" must be a non-empty string`,
    ],
    [
      'an unknown collection',
      tweak(delta, (d) => (d.changed.aliases = {})),
      'config delta "changed.aliases" is not a known collection (expected orgs, keys, credentials, policies, budgets, rateLimits, routes, roles, mcpServers)',
    ],
    [
      'removed ids that are not strings',
      tweak(delta, (d) => (d.removed.credentials = [1])),
      'config delta "removed.credentials[0]" must be a non-empty string',
    ],
    ['an entry both changed and removed', tweak(delta, (d) => (d.removed.keys = [HASH])), `config delta "removed.keys[0]" is also in "changed.keys"`],
    ['a missing removed map', tweak(delta, (d) => delete d.removed), 'config delta "removed" is missing'],
  ])('rejects a delta with %s', (_case, input, message) => {
    expect(messageOf(() => validateConfigMessage(input))).toBe(message);
  });
});

describe('event validation', () => {
  it('accepts a well-formed batch and returns it unchanged', () => {
    expect(validateEventBatch(batch)).toBe(batch);
  });

  it('accepts an event with content captured and nothing known about the provider', () => {
    const denied = {
      ...event,
      provider: null,
      credentialId: null,
      model: null,
      ttftMs: null,
      decision: 'denied',
      status: 401,
      errorCode: 'model_not_allowed',
      content: { request: 'hi', response: '' },
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    };
    expect(validateUsageEvent(denied)).toBe(denied);
    expect(validateUsageEvent({ ...denied, traceId: null })).toBeTruthy();
  });

  it.each([
    ['a wrong type', tweak(batch, (b) => (b.type = 'usage')), 'event batch "type" must be "events"'],
    ['no node id', tweak(batch, (b) => (b.nodeId = '')), 'event batch "nodeId" must be a non-empty string'],
    ['negative tokens', tweak(batch, (b) => (b.events[0].inputTokens = -1)), 'event batch "events[0].inputTokens" must be a non-negative integer'],
    ['a fractional cost', tweak(batch, (b) => (b.events[0].costMicros = 0.5)), 'event batch "events[0].costMicros" must be a non-negative integer'],
    [
      'an unknown decision',
      tweak(batch, (b) => (b.events[0].decision = 'maybe')),
      'event batch "events[0].decision" must be one of "allowed", "redacted", "blocked", "held", "approved", "rejected", "rate_limited", "budget_exceeded", "denied", "error"',
    ],
    ['an impossible status', tweak(batch, (b) => (b.events[0].status = 99)), 'event batch "events[0].status" must be an integer from 100 to 599'],
    ['a non-UUID id', tweak(batch, (b) => (b.events[0].id = 'evt-1')), 'event batch "events[0].id" must be a UUID'],
    ['a non-string tag', tweak(batch, (b) => (b.events[0].tags = ['ok', null])), 'event batch "events[0].tags[1]" must be a string'],
    ['content without a response', tweak(batch, (b) => (b.events[0].content = { request: 'x' })), 'event batch "events[0].content.response" is missing'],
    ['events that are not an array', tweak(batch, (b) => (b.events = {})), 'event batch "events" must be an array'],
    [
      'a trace id that is not W3C hex',
      tweak(batch, (b) => (b.events[0].traceId = '4BF92F3577B34DA6A3CE929D0E0E4736')),
      'event batch "events[0].traceId" must be null or 32 lower-case hex characters',
    ],
    [
      'an attempt with an unknown outcome',
      tweak(batch, (b) => (b.events[0].attempts = [{ credentialId: CRED, model: 'gpt-4o', outcome: 'lost', status: null, latencyMs: 3 }])),
      'event batch "events[0].attempts[0].outcome" must be one of "answered", "connect_error", "timeout", "rate_limited", "server_error", "rejected", "credential_unavailable", "circuit_open", "failed_mid_stream"',
    ],
    ['a route id that is not a UUID', tweak(batch, (b) => (b.events[0].routeId = 'fast')), 'event batch "events[0].routeId" must be null or a UUID'],
    [
      'an anomaly score above 100',
      tweak(batch, (b) => (b.events[0].anomalyScore = 101)),
      'event batch "events[0].anomalyScore" must be null or an integer from 0 to 100',
    ],
    [
      'an anomaly reason of no known code',
      tweak(batch, (b) => (b.events[0].anomalyReasons = [{ code: 'vibes', message: 'odd' }])),
      `event batch "events[0].anomalyReasons[0].code" must be one of ${ANOMALY_REASON_CODES.map((c) => `"${c}"`).join(', ')}`,
    ],
  ])('rejects a batch with %s', (_case, input, message) => {
    expect(messageOf(() => validateEventBatch(input))).toBe(message);
  });

  it('names fields from the event itself when validating one event', () => {
    expect(messageOf(() => validateUsageEvent({ ...event, latencyMs: '5' }))).toBe('usage event "latencyMs" must be a non-negative integer');
    expect(messageOf(() => validateUsageEvent('x'))).toBe('usage event must be an object');
  });
});

describe('policy, budget and rate-limit entries', () => {
  const ORG_ID = '0190f3a1-7c2e-7a10-8b00-000000000001';
  const ID = '0190f3a1-7c2e-7a10-8b00-0000000000aa';
  const base = {
    type: 'snapshot',
    version: 1,
    generatedAt: '2025-06-01T12:00:00Z',
    orgs: {},
    keys: {},
    credentials: {},
    policies: {},
    budgets: {},
    rateLimits: {},
    routes: {},
    roles: {},
    mcpServers: {},
  };

  it('accepts a policy whose document is a valid policy', () => {
    const policy = {
      id: ID,
      orgId: ORG_ID,
      name: 'no secrets',
      version: 3,
      enabled: true,
      attachments: [{ kind: 'org', id: ORG_ID }],
      document: { name: 'no secrets', rules: [{ id: 'block-keys', when: { prompt: { pii: ['openai_api_key'] } }, action: 'block' }] },
    };
    expect(() => validateConfigMessage({ ...base, policies: { [ID]: policy } })).not.toThrow();
  });

  it('names the policy whose document is not a valid policy', () => {
    const policy = {
      id: ID,
      orgId: ORG_ID,
      name: 'bad',
      version: 1,
      enabled: true,
      attachments: [],
      document: { name: 'bad', rules: [{ id: 'x', action: 'explode' }] },
    };
    expect(() => validateConfigMessage({ ...base, policies: { [ID]: policy } })).toThrow(`config snapshot "policies.${ID}.document" is not a valid policy`);
  });

  it('rejects a budget with a fractional amount', () => {
    const budget = { id: ID, orgId: ORG_ID, scope: { kind: 'org', id: ORG_ID }, period: 'month', limitMicros: 1.5, action: 'block', alertThresholds: [80] };
    expect(() => validateConfigMessage({ ...base, budgets: { [ID]: budget } })).toThrow(`config snapshot "budgets.${ID}.limitMicros"`);
  });

  it('accepts a budget with its name and current spend, and rejects a spend of no known period', () => {
    const budget = {
      id: ID,
      orgId: ORG_ID,
      scope: { kind: 'org', id: ORG_ID },
      period: 'day',
      limitMicros: 5_000_000,
      action: 'block',
      alertThresholds: [],
      name: 'daily',
    };
    const spent = { ...budget, spend: { periodKey: '2026-12-06', spentMicros: 5_020_000 } };
    expect(() => validateConfigMessage({ ...base, budgets: { [ID]: spent } })).not.toThrow();
    const odd = { ...budget, spend: { periodKey: 'today', spentMicros: 1 } };
    expect(messageOf(() => validateConfigMessage({ ...base, budgets: { [ID]: odd } }))).toBe(
      `config snapshot "budgets.${ID}.spend.periodKey" must be a day, ISO week, month or "lifetime"`,
    );
  });

  it('checks an organization’s choice for unpriced models', () => {
    const org = { id: ORG_ID, plan: 'free', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'closed', customModels: [] };
    const charge = { ...org, unpricedModels: { mode: 'charge', inputPerMTok: 1_000_000, outputPerMTok: 4_000_000 } };
    expect(() => validateConfigMessage({ ...base, orgs: { [ORG_ID]: charge } })).not.toThrow();
    const unpriced = { ...org, unpricedModels: { mode: 'charge', inputPerMTok: 1_000_000 } };
    expect(messageOf(() => validateConfigMessage({ ...base, orgs: { [ORG_ID]: unpriced } }))).toBe(
      `config snapshot "orgs.${ORG_ID}.unpricedModels.outputPerMTok" is missing`,
    );
    const unknown = { ...org, unpricedModels: { mode: 'ignore' } };
    expect(messageOf(() => validateConfigMessage({ ...base, orgs: { [ORG_ID]: unknown } }))).toBe(
      `config snapshot "orgs.${ORG_ID}.unpricedModels.mode" must be one of "refuse", "charge", "allow"`,
    );
  });

  it('rejects a rate limit with a zero rate', () => {
    const limit = { id: ID, orgId: ORG_ID, scope: { kind: 'key', id: ID }, requestsPerMinute: 0 };
    expect(() => validateConfigMessage({ ...base, rateLimits: { [ID]: limit } })).toThrow(`config snapshot "rateLimits.${ID}.requestsPerMinute"`);
  });
});
