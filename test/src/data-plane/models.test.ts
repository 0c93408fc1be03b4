import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { catalogModels } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const price = { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000, cachedInputPerMTok: 1_000_000 };

/** The built-in catalog's models of a provider whose names start with `prefix`, sorted like the gateway sorts them. */
const builtIn = (provider: string, prefix: string) =>
  catalogModels(new Date())
    .filter((p) => p.provider === provider && p.model.startsWith(prefix))
    .map((p) => p.model)
    .sort((a, b) => a.localeCompare(b));

describe('model discovery through the gateway', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let dp: TestDataPlane;
  /** The README's key: `allowedModels: ["gpt-4o*"]` over an OpenAI-compatible credential that names no models. */
  let readmeKey: TestKey;
  let mixedKey: TestKey;
  let openai: (key: TestKey) => OpenAI;

  beforeAll(async () => {
    world = await createTestWorld({ customModels: [{ model: 'acme-llm', provider: 'openai_compatible', ...price }] });
    mock = await startMockProvider();
    const compatible = await world.credential('openai_compatible', `${mock.url}/v1`);
    const anthropic = await world.credential('anthropic', mock.url);
    const gemini = await world.credential('gemini', mock.url, { models: ['gemini-2.5-*'] });
    readmeKey = world.key({ allowedModels: ['gpt-4o*'] });
    mixedKey = world.key({ allowedModels: ['gpt-4o-mini', 'acme-*', 'claude-haiku-*', 'gemini-*'] });
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [readmeKey, mixedKey], credentials: [compatible, anthropic, gemini] }) });
    openai = (key) => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
  });

  describe('OpenAI’s GET /v1/models', () => {
    it('lists the price table’s models the README’s key may call through an OpenAI-compatible credential', async () => {
      const models: OpenAI.Models.Model[] = [];
      for await (const model of openai(readmeKey).models.list()) models.push(model);
      expect(models.map((m) => m.id)).toEqual(builtIn('openai', 'gpt-4o'));
      expect(models[0]).toEqual({ id: 'gpt-4o', object: 'model', created: 0, owned_by: 'openai_compatible' });
    });

    it('retrieves a listed model that chat with the same key can use', async () => {
      const client = openai(readmeKey);
      expect(await client.models.retrieve('gpt-4o-mini')).toEqual({ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'openai_compatible' });
      const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(chat.choices[0].message.content).toBe('Hello from the mock provider.');
    });

    it('retrieves a model in no table when the key’s glob allows it and a credential would forward it', async () => {
      expect((await openai(readmeKey).models.retrieve('gpt-4o-audio-preview-2099-01-01')).id).toBe('gpt-4o-audio-preview-2099-01-01');
    });

    it('answers 404 for a model the key may not call', async () => {
      await expect(openai(readmeKey).models.retrieve('gpt-5')).rejects.toMatchObject({ status: 404 });
      await expect(openai(readmeKey).models.retrieve('acme-llm')).rejects.toMatchObject({ status: 404 });
    });

    it('adds the organization’s custom models and lists only the OpenAI family’s models to an OpenAI client', async () => {
      const ids: string[] = [];
      for await (const model of openai(mixedKey).models.list()) ids.push(model.id);
      expect(ids).toEqual(['acme-llm', 'gpt-4o-mini']);
    });
  });

  describe('Anthropic’s GET /v1/models', () => {
    it('lists the Claude models the key may call in Anthropic’s shape and retrieves one', async () => {
      const client = new Anthropic({ apiKey: mixedKey.secret, baseURL: dp.url, maxRetries: 0 });
      const models: Anthropic.ModelInfo[] = [];
      for await (const model of client.models.list()) models.push(model);
      expect(models.map((m) => m.id)).toEqual(builtIn('anthropic', 'claude-haiku-'));
      expect(models[0]).toMatchObject({ type: 'model', id: 'claude-haiku-4-5', display_name: 'claude-haiku-4-5', created_at: '1970-01-01T00:00:00Z' });
      expect((await client.models.retrieve('claude-haiku-4-5')).id).toBe('claude-haiku-4-5');
      await expect(client.models.retrieve('claude-opus-4-5')).rejects.toMatchObject({ status: 404 });
      // Allowed, but a model of another provider: the Anthropic credential would only fail on it.
      await expect(client.models.retrieve('gpt-4o-mini')).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('Gemini’s GET /v1beta/models', () => {
    it('lists the Gemini models the key may call and its credential serves, and gets one', async () => {
      const ai = new GoogleGenAI({ apiKey: mixedKey.secret, httpOptions: { baseUrl: dp.url } });
      const names: string[] = [];
      for await (const model of await ai.models.list()) names.push(model.name ?? '');
      expect(names).toEqual(builtIn('gemini', 'gemini-2.5-').map((m) => `models/${m}`));
      expect((await ai.models.get({ model: 'gemini-2.5-flash' })).name).toBe('models/gemini-2.5-flash');
      await expect(ai.models.get({ model: 'gemini-2.0-flash' })).rejects.toThrow(/404|NOT_FOUND/);
      const method = await fetch(`${dp.url}/v1beta/models/gemini-2.5-flash:generateContent`, { headers: { 'x-goog-api-key': mixedKey.secret } });
      expect(method.status).toBe(405);
    });
  });
});
