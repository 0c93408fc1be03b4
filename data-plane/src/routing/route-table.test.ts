import {
  findPrice,
  type ConfigSnapshot,
  type CredentialConfig,
  type KeyConfig,
  type RoleConfig,
  type RouteConfig,
  type RouteTarget as WireTarget,
  type ScopeRef,
} from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { generateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { embeddings } from '../providers/openai/embeddings/index.js';
import { fleetClock } from '../clock/fleet-clock.js';
import { priciest, routeTable, targetsFor, type RouteTarget } from './route-table.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const TEAM = '00000000-0000-7000-8000-0000000000a1';
const sealed = { kekId: 'k', wrappedKey: 'AA==', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AA==', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' };
const cred = (n: number, provider: CredentialConfig['provider'] = 'openai'): CredentialConfig => ({
  id: `00000000-0000-7000-8000-00000000000${n}`,
  orgId: ORG,
  provider,
  name: `c${n}`,
  baseUrl: null,
  models: [],
  secret: sealed,
  secretVersion: 1,
});
const key: KeyConfig = {
  id: '00000000-0000-7000-8000-0000000000b1',
  orgId: ORG,
  hash: 'h'.repeat(64),
  prefix: 'kw_abcde',
  name: 'k',
  ownerLabel: 'o',
  teamId: TEAM,
  status: 'active',
  expiresAt: null,
  graceUntil: null,
  allowedModels: [],
  credentialIds: [],
  labels: {},
};
let n = 0;
const route = (match: string[], targets: WireTarget[], attachments: ScopeRef[]): RouteConfig => ({
  id: `00000000-0000-7000-8000-0000000001${String(++n).padStart(2, '0')}`,
  orgId: ORG,
  version: 1,
  name: `route ${n}`,
  match,
  strategy: 'fallback',
  rules: [],
  maxLatencyMs: null,
  breaker: { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 },
  targets,
  attachments,
});
const to = (c: CredentialConfig, model: string): WireTarget => ({ credentialId: c.id, model, weight: 1, timeoutMs: 1000, maxRetries: 0, contextTokens: null });

function view(routes: RouteConfig[], roles: RoleConfig[] = [], credentials = [cred(1), cred(2), cred(3, 'anthropic')]): ConfigView {
  const snapshot: ConfigSnapshot = {
    type: 'snapshot',
    version: 1,
    generatedAt: new Date().toISOString(),
    orgs: { [ORG]: { id: ORG, plan: 'pro', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'open', customModels: [] } },
    keys: {},
    credentials: Object.fromEntries(credentials.map((c) => [c.id, c])),
    policies: {},
    budgets: {},
    rateLimits: {},
    routes: Object.fromEntries(routes.map((r) => [r.id, r])),
    roles: Object.fromEntries(roles.map((r) => [r.id, r])),
    mcpServers: {},
  };
  return new ConfigView(snapshot);
}

describe('the route table', () => {
  const [c1, c2] = [cred(1), cred(2)];
  const onKey = route(['fast'], [to(c1, 'gpt-4o-mini')], [{ kind: 'key', id: key.id }]);
  const onTeam = route(['fast', 'gpt-4o*'], [to(c2, 'gpt-4o')], [{ kind: 'team', id: TEAM }]);
  const onOrg = route(['smart', 'GPT-4O'], [to(c1, 'gpt-4o')], [{ kind: 'org', id: ORG }]);
  const table = routeTable(view([onKey, onTeam, onOrg]));

  it('prefers the key’s route, then its team’s, then its organization’s; exact names before globs, ignoring case', () => {
    expect(table.resolve(key, 'fast')?.route.config.id).toBe(onKey.id);
    expect(table.resolve(key, 'gpt-4o-mini')?.route.config.id).toBe(onTeam.id);
    expect(table.resolve(key, 'SMART')?.route.config.id).toBe(onOrg.id);
    expect(table.resolve({ ...key, teamId: null }, 'gpt-4o')?.route.config.id).toBe(onOrg.id);
    expect(table.resolve(key, 'claude-haiku-4-5')).toBeNull();
  });

  it('expands alias targets into the named route’s targets; each operation gets the targets it speaks or a translator carries it to', () => {
    const anthropic = cred(3, 'anthropic');
    const cheap = route(['cheap'], [to(c2, 'gpt-4o-mini')], []);
    const smart = route(['smart'], [to(c1, 'gpt-4o'), { alias: 'cheap' }, to(anthropic, 'claude-haiku-4-5')], [{ kind: 'org', id: ORG }]);
    const resolved = routeTable(view([cheap, smart])).resolve(key, 'smart')!;
    expect(resolved.route.targets.map((t) => t.id)).toEqual([`${c1.id}/gpt-4o`, `${c2.id}/gpt-4o-mini`, `${anthropic.id}/claude-haiku-4-5`]);
    const all = ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5'];
    expect(targetsFor(resolved.route, chatCompletions).map((t) => t.model)).toEqual(all);
    expect(targetsFor(resolved.route, messages).map((t) => t.model)).toEqual(all);
    // Gemini agents reach Anthropic targets too, through OpenAI Chat; embeddings have no translator.
    expect(targetsFor(resolved.route, generateContent).map((t) => t.model)).toEqual(all);
    expect(targetsFor(resolved.route, embeddings).map((t) => t.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(resolved.route.reserveModel).toBe('gpt-4o');
  });

  it('finds a role by name in the key’s organization, with its route, and says when there is none', () => {
    const reviewer: RoleConfig = {
      id: '00000000-0000-7000-8000-0000000000c1',
      orgId: ORG,
      name: 'reviewer',
      systemPrompt: 'Review.',
      temperature: null,
      maxTokens: null,
      routeId: onOrg.id,
    };
    const roles = routeTable(view([onOrg], [reviewer]));
    expect(roles.resolve(key, 'role:reviewer')).toMatchObject({ role: reviewer, route: { config: { id: onOrg.id } } });
    expect(roles.resolve(key, 'role:writer')).toBeUndefined();
    expect(roles.resolve({ ...key, orgId: '00000000-0000-7000-8000-000000000009' }, 'role:reviewer')).toBeUndefined();
  });
});

describe('the model budgets reserve for a route', () => {
  it("is the priciest target at the fleet's time, not the machine's, when a price changes on a date", () => {
    // gemini-3.6-flash's input price doubles on 2027-01-01; the fleet's time is put on the other side of that date from the machine's.
    const change = Date.parse('2027-01-01T00:00:00Z');
    const fleetTime = Date.now() < change ? change + 86_400_000 : change - 86_400_000;
    const perToken = (at: number) => {
      const price = findPrice('gemini-3.6-flash', [], new Date(at))!;
      return price.inputPerMTok + price.outputPerMTok;
    };
    expect(perToken(fleetTime)).not.toBe(perToken(Date.now()));
    // A custom model priced between gemini's two prices: the priciest on one side of the date, not on the other.
    const between = Math.round((perToken(fleetTime) + perToken(Date.now())) / 2);
    const house = { model: 'house-model', provider: 'gemini' as const, inputPerMTok: between, outputPerMTok: 0, cachedInputPerMTok: between };
    const target = (model: string) => ({ model }) as RouteTarget;
    const expected = perToken(fleetTime) > between ? 'gemini-3.6-flash' : 'house-model';

    fleetClock.observe(new Date(fleetTime).toUTCString(), fleetClock.mark());
    try {
      expect(priciest([target('house-model'), target('gemini-3.6-flash')], [house])).toBe(expected);
    } finally {
      fleetClock.observe(new Date().toUTCString(), fleetClock.mark());
    }
    expect(priciest([target('house-model'), target('gemini-3.6-flash')], [house])).not.toBe(expected);
  });
});
