import type { ConfigSnapshot, CredentialConfig, KeyConfig, OrgConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { globMatch } from '@keyward/shared';
import { availableModels, callableModel } from './models.js';
import { modelAllowed, routeCandidates } from './route.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const OTHER = '00000000-0000-7000-8000-000000000002';
const sealed = { kekId: 'k', wrappedKey: 'AA==', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AA==', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' };
const org = (id: string): OrgConfig => ({ id, plan: 'pro', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'open', customModels: [] });
const cred = (id: string, provider: CredentialConfig['provider'], models: string[] = [], orgId = ORG, baseUrl: string | null = null): CredentialConfig => ({
  id,
  orgId,
  provider,
  name: id,
  baseUrl,
  models,
  secret: sealed,
  secretVersion: 1,
});
const key = (over: Partial<KeyConfig> = {}): KeyConfig => ({
  id: 'key',
  orgId: ORG,
  hash: 'h'.repeat(64),
  prefix: 'kw_abcde',
  name: 'k',
  ownerLabel: 'o',
  teamId: null,
  status: 'active',
  expiresAt: null,
  graceUntil: null,
  allowedModels: [],
  credentialIds: [],
  labels: {},
  ...over,
});
const view = (credentials: CredentialConfig[], orgs = [org(ORG), org(OTHER)]) =>
  new ConfigView({
    type: 'snapshot',
    version: 1,
    generatedAt: new Date().toISOString(),
    orgs: Object.fromEntries(orgs.map((o) => [o.id, o])),
    keys: {},
    credentials: Object.fromEntries(credentials.map((c) => [c.id, c])),
    policies: {},
    budgets: {},
    rateLimits: {},
    routes: {},
    roles: {},
    mcpServers: {},
  } satisfies ConfigSnapshot);

describe('model globs', () => {
  it('match whole names, with * and ? wildcards, ignoring case', () => {
    expect(globMatch('gpt-4o*', 'gpt-4o-mini')).toBe(true);
    expect(globMatch('gpt-4o', 'gpt-4o-mini')).toBe(false);
    expect(globMatch('claude-?-haiku', 'claude-3-haiku')).toBe(true);
    expect(globMatch('GPT-4O', 'gpt-4o')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it('allow every model when a key’s list is empty', () => {
    expect(modelAllowed(key(), 'anything')).toBe(true);
    expect(modelAllowed(key({ allowedModels: ['gpt-*'] }), 'claude-3')).toBe(false);
  });
});

describe('credential routing', () => {
  const all = [
    cred('c1', 'openai', ['gpt-*']),
    cred('c2', 'openai_compatible', [], ORG, 'http://llm.internal/v1'),
    cred('c3', 'anthropic'),
    cred('c4', 'openai', [], OTHER),
    cred('c5', 'gemini', ['gemini-2.5-*']),
  ];

  it('keeps the org’s credentials that speak the API family and serve the model', () => {
    expect(routeCandidates(view(all), key(), 'openai', 'gpt-4o').map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(routeCandidates(view(all), key(), 'openai', 'llama-3').map((c) => c.id)).toEqual(['c2']);
    expect(routeCandidates(view(all), key(), 'anthropic', 'claude-haiku-4-5').map((c) => c.id)).toEqual(['c3']);
    expect(routeCandidates(view(all), key(), 'gemini', 'gemini-2.0-flash')).toEqual([]);
  });

  it('follows the key’s own credential list in its order, and never another org’s', () => {
    const k = key({ credentialIds: ['c2', 'c4', 'c1'] });
    expect(routeCandidates(view(all), k, 'openai', 'gpt-4o').map((c) => c.id)).toEqual(['c2', 'c1']);
  });

  it('lists the models a key may use: allow-list ∩ what its credentials serve', () => {
    const listing = availableModels(
      view([cred('c1', 'openai', ['gpt-4o*', 'ft:my-model'])]),
      key({ allowedModels: ['gpt-4o-mini', 'ft:*', 'o3'] }),
      org(ORG),
      'openai',
    );
    expect(listing.map((m) => m.id)).toEqual(['ft:my-model', 'gpt-4o-mini']);
  });

  it('lists the priced models of a credential that serves any model', () => {
    const listing = availableModels(view([cred('c1', 'openai')]), key({ allowedModels: ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5'] }), org(ORG), 'openai');
    expect(listing.map((m) => m.id)).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('lists OpenAI’s priced models for an OpenAI-compatible credential that names none, filtered by the key’s globs', () => {
    const compatible = cred('c1', 'openai_compatible', [], ORG, 'https://llm.example.com/v1');
    const listing = availableModels(view([compatible]), key({ allowedModels: ['gpt-4o*'] }), org(ORG), 'openai');
    expect(listing.map((m) => m.id)).toEqual([
      'gpt-4o',
      'gpt-4o-2024-05-13',
      'gpt-4o-audio-preview',
      'gpt-4o-mini',
      'gpt-4o-mini-audio-preview',
      'gpt-4o-mini-realtime-preview',
      'gpt-4o-mini-transcribe',
      'gpt-4o-mini-tts',
      'gpt-4o-realtime-preview',
      'gpt-4o-search-preview',
      'gpt-4o-transcribe',
    ]);
    expect(listing.every((m) => m.provider === 'openai_compatible')).toBe(true);
    // Without a base URL it has nowhere to send requests, so it serves nothing.
    expect(availableModels(view([cred('c1', 'openai_compatible')]), key({ allowedModels: ['gpt-4o*'] }), org(ORG), 'openai')).toEqual([]);
  });

  it('finds a callable model by id: listed, or in no table but allowed and served; never another provider’s', () => {
    const v = view([cred('c1', 'openai', ['gpt-4o*']), cred('c2', 'anthropic')]);
    const k = key({ allowedModels: ['gpt-4o*', 'claude-*', 'gpt-5'] });
    expect(callableModel(v, k, org(ORG), 'openai', 'GPT-4O-MINI')).toEqual({ id: 'gpt-4o-mini', provider: 'openai' });
    expect(callableModel(v, k, org(ORG), 'openai', 'gpt-4o-realtime-2099')).toEqual({ id: 'gpt-4o-realtime-2099', provider: 'openai' });
    expect(callableModel(v, k, org(ORG), 'openai', 'gpt-5')).toBeNull();
    expect(callableModel(v, k, org(ORG), 'anthropic', 'gpt-4o-mini')).toBeNull();
    expect(callableModel(v, k, org(ORG), 'anthropic', 'claude-next')).toEqual({ id: 'claude-next', provider: 'anthropic' });
  });
});
