import { estimateTokens } from '@keyward/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { promptTokens } from './prompt-tokens.js';

vi.mock('@keyward/shared', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@keyward/shared')>();
  return { ...actual, estimateTokens: vi.fn(actual.estimateTokens) };
});

const counted = vi.mocked(estimateTokens);

describe('prompt token estimates per request', () => {
  afterEach(() => counted.mockClear());

  it('tokenizes a request body once when the limits and the policy steps both ask', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Summarise the billing incident for the team.' }] };
    const first = promptTokens(body, 'Summarise the billing incident for the team.', 'gpt-4o');
    const second = promptTokens(body, 'Summarise the billing incident for the team.', 'gpt-4o');
    expect(second).toBe(first);
    expect(first).toBe(estimateTokens('Summarise the billing incident for the team.', 'gpt-4o'));
    expect(counted).toHaveBeenCalledTimes(2); // once by promptTokens, once by the check above
  });

  it('never reuses one request’s estimate for another request with the same prompt', () => {
    const text = 'Draft the change and a note to the team.';
    promptTokens({ messages: [text] }, text, 'gpt-4o');
    promptTokens({ messages: [text] }, text, 'gpt-4o');
    expect(counted).toHaveBeenCalledTimes(2);
  });

  it('estimates again when the text or the model differ for the same body', () => {
    const body = {};
    const short = promptTokens(body, 'one two', 'gpt-4o');
    const long = promptTokens(body, 'one two three four five six', 'gpt-4o');
    promptTokens(body, 'one two three four five six', 'gpt-4');
    expect(long).toBeGreaterThan(short);
    expect(counted).toHaveBeenCalledTimes(3);
  });
});
