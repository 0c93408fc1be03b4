import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from './index.js';

describe('the mock provider', () => {
  let mock: MockProvider;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${mock.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    mock = await startMockProvider({ acceptKeys: ['sk-test'] });
  });
  afterAll(async () => {
    await mock.close();
  });
  beforeEach(() => mock.reset());

  it('records each request with the credential it carried', async () => {
    await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [] });
    expect(mock.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', credential: 'sk-test', finished: true, aborted: false });
  });

  it('lets a request header win over a per-model behaviour, and that over the global one', async () => {
    mock.setBehaviour({ text: 'global' });
    mock.setBehaviour({ text: 'per model' }, { model: 'special' });
    const text = async (model: string, headers?: Record<string, string>) =>
      ((await (await post('/v1/chat/completions', { model, messages: [] }, headers)).json()) as { choices: { message: { content: string } }[] }).choices[0]
        .message.content;
    expect(await text('gpt-4o-mini')).toBe('global');
    expect(await text('special')).toBe('per model');
    expect(await text('special', { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'header' }) })).toBe('header');
  });

  it('answers errors in each API’s own shape', async () => {
    const error = { [BEHAVIOUR_HEADER]: JSON.stringify({ error: { status: 429, message: 'slow down' } }) };
    const openai = await post('/v1/chat/completions', { model: 'm' }, error);
    expect([openai.status, await openai.json()]).toEqual([429, { error: { message: 'slow down', type: 'rate_limit_exceeded', param: null, code: null } }]);
    const anthropic = await post('/v1/messages', { model: 'm' }, error);
    expect(await anthropic.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    const gemini = await post('/v1beta/models/m:generateContent', {}, error);
    expect(await gemini.json()).toEqual({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } });
  });

  it('refuses credentials it was not told to accept', async () => {
    const res = await post('/v1/messages', { model: 'm' }, { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('adds the usage chunk to an OpenAI stream only when asked', async () => {
    const withUsage = await (await post('/v1/chat/completions', { model: 'm', stream: true, stream_options: { include_usage: true } })).text();
    const without = await (await post('/v1/chat/completions', { model: 'm', stream: true })).text();
    expect(withUsage).toContain('"choices":[],"usage":{"prompt_tokens":12');
    expect(without).not.toContain('prompt_tokens');
    expect(without.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
