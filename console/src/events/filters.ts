import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import type { Decision, UsageEventFieldsFragment, UsageEventFilter } from '@/gql/graphql';

/** The filters the request views share: by key, team, model, decision, matched policy rule and MCP server and tool. Null means "any". */
export interface EventFilter {
  keyId: string | null;
  teamId: string | null;
  model: string | null;
  decision: Decision | null;
  /** A policy one of whose rules matched (shadow matches included). */
  policyId: string | null;
  /** A rule id that matched; with `policyId`, that policy's rule. */
  ruleId: string | null;
  /** Tool calls through this MCP server (its name). */
  mcpServer: string | null;
  /** Tool calls of this tool. */
  mcpTool: string | null;
}

/** A filter that lets everything through. */
export function emptyFilter(): EventFilter {
  return { keyId: null, teamId: null, model: null, decision: null, policyId: null, ruleId: null, mcpServer: null, mcpTool: null };
}

/** URL query parameter of each filter field, so a link reproduces the view. */
const QUERY_NAMES: Record<keyof EventFilter, string> = {
  keyId: 'key',
  teamId: 'team',
  model: 'model',
  decision: 'decision',
  policyId: 'policy',
  ruleId: 'rule',
  mcpServer: 'mcp-server',
  mcpTool: 'mcp-tool',
};

/** The filter a URL's query names; unknown decisions and repeated parameters are ignored. */
export function filterFromQuery(query: LocationQuery): EventFilter {
  const filter = emptyFilter();
  for (const [field, name] of Object.entries(QUERY_NAMES) as [keyof EventFilter, string][]) {
    const value = query[name];
    if (typeof value !== 'string' || value === '') continue;
    if (field === 'decision') filter.decision = (DECISIONS as readonly string[]).includes(value) ? (value as Decision) : null;
    else filter[field] = value;
  }
  return filter;
}

/** The query parameters of a filter (only the fields it sets). */
export function filterToQuery(filter: EventFilter): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  for (const [field, name] of Object.entries(QUERY_NAMES) as [keyof EventFilter, string][]) if (filter[field]) query[name] = filter[field];
  return query;
}

/** Whether an event passes a filter (the live feed filters on the client). */
export function matchesFilter(event: UsageEventFieldsFragment, filter: EventFilter): boolean {
  return (
    (!filter.keyId || event.keyId === filter.keyId) &&
    (!filter.teamId || event.teamId === filter.teamId) &&
    (!filter.model || event.model === filter.model) &&
    (!filter.decision || event.decision === filter.decision) &&
    (!filter.mcpServer || event.mcpServer === filter.mcpServer) &&
    (!filter.mcpTool || event.mcpTool === filter.mcpTool) &&
    (!(filter.policyId || filter.ruleId) ||
      event.policyMatches.some((m) => (!filter.policyId || m.policyId === filter.policyId) && (!filter.ruleId || m.ruleId === filter.ruleId)))
  );
}

/** The API's filter input for the same choices, within a time window (ISO instants). */
export function toApiFilter(filter: EventFilter, window: { from?: string | null; to?: string | null } = {}): UsageEventFilter {
  const out: UsageEventFilter = {};
  if (filter.keyId) out.keyId = filter.keyId;
  if (filter.teamId) out.teamId = filter.teamId;
  if (filter.model) out.model = filter.model;
  if (filter.decision) out.decision = filter.decision;
  if (filter.policyId) out.policyId = filter.policyId;
  if (filter.ruleId) out.ruleId = filter.ruleId;
  if (filter.mcpServer) out.mcpServer = filter.mcpServer;
  if (filter.mcpTool) out.mcpTool = filter.mcpTool;
  if (window.from) out.from = window.from;
  if (window.to) out.to = window.to;
  return out;
}

/** Every decision, in the order the filter menu lists them. */
export const DECISIONS: readonly Decision[] = [
  'ALLOWED',
  'REDACTED',
  'BLOCKED',
  'HELD',
  'APPROVED',
  'REJECTED',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'DENIED',
  'ERROR',
];
