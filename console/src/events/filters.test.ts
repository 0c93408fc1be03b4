import { describe, expect, it } from 'vitest';
import { usageEvent } from '@/testing/fixtures';
import { emptyFilter, filterFromQuery, filterToQuery, matchesFilter, toApiFilter, type EventFilter } from './filters';

describe('request filters in the URL', () => {
  it('round-trip through the query, naming only the fields set', () => {
    const filter = { ...emptyFilter(), keyId: 'k1', decision: 'BLOCKED' as const, policyId: 'p1', ruleId: 'shell' };
    const query = filterToQuery(filter);
    expect(query).toEqual({ key: 'k1', decision: 'BLOCKED', policy: 'p1', rule: 'shell' });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
  });

  it('round-trip the request id, provider, status class, tag, metadata, time range and content search', () => {
    const filter: EventFilter = {
      ...emptyFilter(),
      requestId: '0193a6f0-7c1e-7000-8000-000000000001',
      provider: 'ANTHROPIC',
      statusClass: 'CLIENT_ERROR_4XX',
      tag: 'pii',
      meta: { name: 'customer', value: 'acme:eu' },
      range: '7d',
      search: '"refund order" -test',
    };
    const query = filterToQuery(filter);
    expect(query).toEqual({
      request: '0193a6f0-7c1e-7000-8000-000000000001',
      provider: 'ANTHROPIC',
      status: '4xx',
      tag: 'pii',
      meta: 'customer:acme:eu',
      range: '7d',
      q: '"refund order" -test',
    });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
  });

  it('ignores an unknown decision, provider, status class or range, empty and repeated parameters', () => {
    expect(filterFromQuery({ decision: 'MAYBE', model: '', team: ['a', 'b'], provider: 'ACME', status: '3xx', range: '2y', meta: ':x' })).toEqual(
      emptyFilter(),
    );
  });

  it('reads a metadata name in lower case, and a name alone as an empty value', () => {
    expect(filterFromQuery({ meta: 'Customer' }).meta).toEqual({ name: 'customer', value: '' });
  });
});

describe('request filters on events', () => {
  const event = usageEvent({
    requestId: 'req-1',
    provider: 'OPENAI',
    status: 429,
    tags: ['pii', 'eu'],
    meta: [{ name: 'customer', value: 'acme' }],
  });

  it('let an event through when each new field matches, and stop it when one does not', () => {
    const all: EventFilter = {
      ...emptyFilter(),
      requestId: 'req-1',
      provider: 'OPENAI',
      statusClass: 'CLIENT_ERROR_4XX',
      tag: 'eu',
      meta: { name: 'customer', value: 'acme' },
    };
    expect(matchesFilter(event, all)).toBe(true);
    expect(matchesFilter(event, { ...all, requestId: 'req-2' })).toBe(false);
    expect(matchesFilter(event, { ...all, provider: 'GEMINI' })).toBe(false);
    expect(matchesFilter(event, { ...all, statusClass: 'SUCCESS_2XX' })).toBe(false);
    expect(matchesFilter(event, { ...all, tag: 'us' })).toBe(false);
    expect(matchesFilter(event, { ...all, meta: { name: 'customer', value: 'globex' } })).toBe(false);
    expect(matchesFilter(event, { ...all, range: '1h' })).toBe(true);
    expect(matchesFilter(event, { ...all, search: 'anything' })).toBe(true);
  });

  it('become the API filter, the time range as a window rather than a field', () => {
    const filter: EventFilter = {
      ...emptyFilter(),
      provider: 'OPENAI',
      statusClass: 'SERVER_ERROR_5XX',
      tag: 'eu',
      meta: { name: 'run', value: '7' },
      range: '1h',
      search: 'refund',
    };
    expect(toApiFilter(filter, { from: '2026-12-07T12:00:00.000Z' })).toEqual({
      provider: 'OPENAI',
      statusClass: 'SERVER_ERROR_5XX',
      tag: 'eu',
      meta: { name: 'run', value: '7' },
      search: 'refund',
      from: '2026-12-07T12:00:00.000Z',
    });
  });

  it('keep the MCP server and tool of tool calls in the URL and in the API filter', () => {
    const filter = { ...emptyFilter(), mcpServer: 'records', mcpTool: 'list_records' };
    const query = filterToQuery(filter);
    expect(query).toEqual({ 'mcp-server': 'records', 'mcp-tool': 'list_records' });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
    expect(toApiFilter(filter)).toEqual({ mcpServer: 'records', mcpTool: 'list_records' });
  });
});
