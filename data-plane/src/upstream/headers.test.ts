import { describe, expect, it } from 'vitest';
import { anthropicApi } from '../providers/anthropic/index.js';
import { openaiApi } from '../providers/openai/index.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

describe('headers crossing the gateway', () => {
  it('strips the agent’s credentials, hop-by-hop headers, account selectors and Keyward’s own headers, and sets the provider’s auth', () => {
    const headers = upstreamRequestHeaders(
      {
        authorization: 'Bearer kw_agentkey',
        'x-api-key': 'kw_agentkey',
        'x-goog-api-key': 'kw_agentkey',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        host: 'gateway',
        cookie: 'a=b',
        'openai-organization': 'org-agent',
        'x-forwarded-for': '10.0.0.1',
        'accept-encoding': 'gzip',
        'user-agent': 'OpenAI/JS 6',
        'x-stainless-lang': 'js',
        'x-keyward-agent-id': 'billing-bot',
        'x-keyward-run-id': 'run-42',
      },
      openaiApi,
      'sk-real',
      42,
    );
    expect(headers).toEqual({
      authorization: 'Bearer sk-real',
      'user-agent': 'OpenAI/JS 6',
      'x-stainless-lang': 'js',
      'content-type': 'application/json',
      'content-length': '42',
      'accept-encoding': 'identity',
    });
  });

  it('keeps the agent’s Anthropic version and supplies one when missing', () => {
    expect(upstreamRequestHeaders({ 'anthropic-version': '2024-01-01' }, anthropicApi, 's', 1)['anthropic-version']).toBe('2024-01-01');
    expect(upstreamRequestHeaders({}, anthropicApi, 's', 1)).toMatchObject({ 'anthropic-version': '2023-06-01', 'x-api-key': 's' });
  });

  it('passes provider response headers on under the gateway’s request id', () => {
    const out = clientResponseHeaders(
      {
        'content-type': 'text/event-stream',
        'x-request-id': 'up-1',
        'set-cookie': ['a=b'],
        'transfer-encoding': 'chunked',
        'x-ratelimit-remaining-requests': '99',
      },
      'gw-1',
    );
    expect(out).toEqual([
      ['x-request-id', 'gw-1'],
      ['content-type', 'text/event-stream'],
      ['x-upstream-request-id', 'up-1'],
      ['x-ratelimit-remaining-requests', '99'],
    ]);
  });
});
