import type { ApiFamily, CredentialConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { maxCostOf } from '../estimate/max-cost.js';
import { messages } from '../providers/anthropic/messages/index.js';
import { generateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { translatorToFamily } from '../translate/index.js';
import { translateCalls, translatedOutputCap } from './translation.js';

const credential = (provider: CredentialConfig['provider']) => ({ provider }) as CredentialConfig;
const claude = { id: 'c1/claude-haiku-4-5', credential: credential('anthropic'), model: 'claude-haiku-4-5' };
const gpt = { id: 'c2/gpt-4o-mini', credential: credential('openai'), model: 'gpt-4o-mini' };
const chat = { model: 'smart', messages: [{ role: 'user', content: 'hi' }] };
const org = { customModels: [], unpricedModels: { mode: 'charge' as const, inputPerMTok: 0, outputPerMTok: 0 } };

describe('translating a routed request', () => {
  it('translates for targets of another family only, and refuses what one cannot carry before anything is sent', () => {
    const calls = translateCalls(chatCompletions, [gpt, claude], chat, false, new URLSearchParams());
    expect([...calls.keys()]).toEqual([claude.id]);
    expect(calls.get(claude.id)!.call).toMatchObject({ operation: messages, path: '/v1/messages', stream: false });
    expect(JSON.parse(calls.get(claude.id)!.body)).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 4096 });
    expect(() => translateCalls(chatCompletions, [gpt, claude], { ...chat, seed: 1 }, false, new URLSearchParams())).toThrow(/seed/);
  });

  it('makes budgets reserve the output cap a translated target is asked for (Anthropic’s default max_tokens)', () => {
    expect(translatedOutputCap(chatCompletions, [gpt, claude], chat)).toBe(4096);
    expect(translatedOutputCap(chatCompletions, [gpt, claude], { ...chat, max_tokens: 50 })).toBe(50);
    expect(translatedOutputCap(chatCompletions, [gpt], chat)).toBeNull();
    const body = { ...chat, max_tokens: 50 };
    expect(maxCostOf(chatCompletions, body, 'gpt-4o-mini', org, 8_000).maxOutputTokens).toBe(8_000);
    expect(maxCostOf(chatCompletions, body, 'gpt-4o-mini', org, null).maxOutputTokens).toBe(50);
  });

  it('reaches every API family from every other’s chat API, so a route may mix any (the control plane lets it)', () => {
    const chatOf: Record<ApiFamily, typeof chatCompletions> = { openai: chatCompletions, anthropic: messages, gemini: generateContent };
    for (const a of ['openai', 'anthropic', 'gemini'] as const) {
      for (const b of ['openai', 'anthropic', 'gemini'] as const) {
        expect(translatorToFamily(chatOf[a], b), `${a} to ${b}`).toEqual(a === b ? undefined : expect.objectContaining({ from: chatOf[a] }));
      }
    }
  });
});
