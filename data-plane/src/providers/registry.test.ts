import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { EXTRACT_ALL } from './codec/request.js';
import { OPERATIONS, PROVIDER_APIS, PROXY_ROUTES } from './index.js';
import { defineOperation } from './operation.js';
import { proxyRoutes } from './routes.js';
import type { Operation } from './types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const families = Object.keys(PROVIDER_APIS);
const isOperation = (value: unknown): value is Operation => typeof value === 'object' && value !== null && 'route' in value && 'answers' in value;

/** The operations each `providers/<family>/<folder>/index.ts` exports, by folder. */
async function operationFolders(): Promise<Map<string, Operation[]>> {
  const folders = new Map<string, Operation[]>();
  for (const family of families) {
    for (const entry of readdirSync(`${here}/${family}`, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const module = (await import(`./${family}/${entry.name}/index.ts`)) as Record<string, unknown>;
      folders.set(`${family}/${entry.name}`, Object.values(module).filter(isOperation));
    }
  }
  return folders;
}

describe('the operation registry', () => {
  it('registers every operation folder under providers/<family>/, and nothing else', async () => {
    const folders = await operationFolders();
    expect(folders.size).toBeGreaterThan(0);
    for (const [folder, ops] of folders) {
      expect(ops.length, `${folder} exports no operation`).toBeGreaterThan(0);
      for (const op of ops) expect(OPERATIONS, `${folder} exports ${op.endpoint}, which no family index lists`).toContain(op);
    }
    expect(new Set(OPERATIONS)).toEqual(new Set([...folders.values()].flat()));
  });

  it.each(OPERATIONS.map((op) => [`${op.family} ${op.endpoint}`, op] as const))('%s provides every part', (_name, op) => {
    expect(op.api).toBe(PROVIDER_APIS[op.family]);
    expect(op.route.pattern).toMatch(/^\/v1(beta)?\//);
    expect(op.clientKey({ authorization: 'Bearer kw_x', 'x-api-key': 'kw_x', 'x-goog-api-key': 'kw_x' }, new URLSearchParams())).toBe('kw_x');
    const error = new GatewayError('blocked', 403, 'No.');
    expect(JSON.parse(op.errors.errorBody(error))).toBeTypeOf('object');
    expect(op.errors.streamErrorEvent(error)).toMatch(/\n\n$/);
    expect(op.request.extract({}, EXTRACT_ALL)).toEqual({ messages: [], systemText: '', toolsOffered: [], toolCalls: [] });
    expect(op.request.mapTexts({}, (t) => t)).toEqual({});
    expect(op.request.transcript({})).toEqual([]);
    expect(op.answers.restorer(new Map()).end()).toEqual([]);
    expect(op.answers.inspector().toolCalls()).toEqual([]);
    expect(op.maxOutputTokens({}) ?? null).toSatisfy((cap) => cap === null || cap === 0);
    expect(op.usageFromTail('')).toBeNull();
    expect(op.observeStream({ body: null, hideUsageChunk: false }).usage()).toBeNull();
    expect(op.upstreamPath('m', false, new URLSearchParams())).toMatch(/^\//);
    for (const text of [op.requestText({}), op.responseText({}), op.streamText({})]) expect(text).toBe('');
  });

  it('gives every endpoint label of a family to one operation', () => {
    const labels = OPERATIONS.map((op) => `${op.family} ${op.endpoint}`);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('routes each operation’s path to it', () => {
    for (const op of OPERATIONS) {
      const route = PROXY_ROUTES.find((r) => r.pattern === op.route.pattern)!;
      const params = op.route.modelMethod === null ? [] : [`some-model:${op.route.modelMethod}`];
      expect(route.resolve({ params, path: op.route.pattern })).toEqual({ op, pathModel: op.route.modelMethod === null ? null : 'some-model' });
    }
  });

  it('serves an operation added to the list, and refuses two that claim one route', () => {
    const [chat] = OPERATIONS;
    const { family: _family, api: _api, ...parts } = chat;
    const scratch = defineOperation(chat.api, { ...parts, endpoint: 'scratch', route: { pattern: '/v1/scratch', modelMethod: null } });
    const route = proxyRoutes([...OPERATIONS, scratch]).find((r) => r.pattern === '/v1/scratch');
    expect(route?.resolve({ params: [], path: '/v1/scratch' })).toEqual({ op: scratch, pathModel: null });
    expect(() => proxyRoutes([chat, { ...scratch, route: chat.route }])).toThrow(`2 operations claim ${chat.route.pattern}.`);
  });

  it('answers an unknown method on a shared pattern with a 404 naming the path', () => {
    const route = PROXY_ROUTES.find((r) => r.pattern === '/v1beta/models/:modelMethod')!;
    const answer = route.resolve({ params: ['gemini-2.5-flash:countTokens'], path: '/v1beta/models/gemini-2.5-flash:countTokens' });
    expect(answer).toBeInstanceOf(GatewayError);
    expect((answer as GatewayError).message).toBe('Unknown Gemini method in /v1beta/models/gemini-2.5-flash:countTokens.');
  });
});
