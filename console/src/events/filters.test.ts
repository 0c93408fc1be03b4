import { describe, expect, it } from 'vitest';
import { emptyFilter, filterFromQuery, filterToQuery, toApiFilter } from './filters';

describe('request filters in the URL', () => {
  it('round-trip through the query, naming only the fields set', () => {
    const filter = { ...emptyFilter(), keyId: 'k1', decision: 'BLOCKED' as const, policyId: 'p1', ruleId: 'shell' };
    const query = filterToQuery(filter);
    expect(query).toEqual({ key: 'k1', decision: 'BLOCKED', policy: 'p1', rule: 'shell' });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
  });

  it('keep the MCP server and tool of tool calls in the URL and in the API filter', () => {
    const filter = { ...emptyFilter(), mcpServer: 'records', mcpTool: 'list_records' };
    const query = filterToQuery(filter);
    expect(query).toEqual({ 'mcp-server': 'records', 'mcp-tool': 'list_records' });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
    expect(toApiFilter(filter)).toEqual({ mcpServer: 'records', mcpTool: 'list_records' });
  });

  it('ignores an unknown decision, empty and repeated parameters', () => {
    expect(filterFromQuery({ decision: 'MAYBE', model: '', team: ['a', 'b'] })).toEqual(emptyFilter());
  });
});
