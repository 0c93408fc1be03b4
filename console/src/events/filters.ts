import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import { PROVIDERS } from '@/composables/providers';
import type { Decision, ProviderKind, StatusClass, UsageEventFieldsFragment, UsageEventFilter } from '@/gql/graphql';

/** One custom metadata header to look for: `x-keyward-meta-<name>: <value>`. */
export interface MetaMatch {
  name: string;
  value: string;
}

/** The History tab's time windows, as the URL names them. */
export const TIME_RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  all: { label: 'Everything kept', ms: 0 },
} as const;
export type TimeRange = keyof typeof TIME_RANGES;

/** The History tab's window when the URL names none. */
export const DEFAULT_RANGE: TimeRange = '24h';

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
  /** The request id the gateway answered with (`x-request-id`). */
  requestId: string | null;
  provider: ProviderKind | null;
  statusClass: StatusClass | null;
  tag: string | null;
  meta: MetaMatch | null;
  /** History's time window; null is `DEFAULT_RANGE` (the live feed has none). */
  range: TimeRange | null;
  /** Tool calls through this MCP server (its name). */
  mcpServer: string | null;
  /** Tool calls of this tool. */
  mcpTool: string | null;
  /** Words to find in captured prompts and completions (History only: the live feed carries no search). */
  search: string | null;
}

/** A filter that lets everything through. */
export function emptyFilter(): EventFilter {
  return {
    keyId: null,
    teamId: null,
    model: null,
    decision: null,
    policyId: null,
    ruleId: null,
    requestId: null,
    provider: null,
    statusClass: null,
    tag: null,
    meta: null,
    range: null,
    mcpServer: null,
    mcpTool: null,
    search: null,
  };
}

/** Status classes, in the order the filter menu lists them, with the URL's name for each. */
export const STATUS_CLASSES: readonly { value: StatusClass; label: string; digit: number }[] = [
  { value: 'SUCCESS_2XX', label: '2xx', digit: 2 },
  { value: 'CLIENT_ERROR_4XX', label: '4xx', digit: 4 },
  { value: 'SERVER_ERROR_5XX', label: '5xx', digit: 5 },
];

/** URL query parameter of each filter field, so a link reproduces the view. */
const QUERY_NAMES: Record<keyof EventFilter, string> = {
  keyId: 'key',
  teamId: 'team',
  model: 'model',
  decision: 'decision',
  policyId: 'policy',
  ruleId: 'rule',
  requestId: 'request',
  provider: 'provider',
  statusClass: 'status',
  tag: 'tag',
  meta: 'meta',
  range: 'range',
  mcpServer: 'mcp-server',
  mcpTool: 'mcp-tool',
  search: 'q',
};

/** A metadata match as the URL writes it, `name:value`, and back (null when there is no name). */
export function formatMeta(meta: MetaMatch): string {
  return `${meta.name}:${meta.value}`;
}
export function parseMeta(text: string): MetaMatch | null {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  return name ? { name, value: colon < 0 ? '' : text.slice(colon + 1).trim() } : null;
}

/** A field's value read from its URL parameter; null when the value is not one the field takes. */
function fromQueryValue(field: keyof EventFilter, value: string): EventFilter[keyof EventFilter] {
  switch (field) {
    case 'decision':
      return (DECISIONS as readonly string[]).includes(value) ? (value as Decision) : null;
    case 'provider':
      return value in PROVIDERS ? (value as ProviderKind) : null;
    case 'statusClass':
      return STATUS_CLASSES.find((s) => s.label === value)?.value ?? null;
    case 'range':
      return value in TIME_RANGES ? (value as TimeRange) : null;
    case 'meta':
      return parseMeta(value);
    default:
      return value;
  }
}

/** The filter a URL's query names; unknown values and repeated parameters are ignored. */
export function filterFromQuery(query: LocationQuery): EventFilter {
  const filter: Record<keyof EventFilter, unknown> = emptyFilter();
  for (const [field, name] of Object.entries(QUERY_NAMES) as [keyof EventFilter, string][]) {
    const value = query[name];
    if (typeof value === 'string' && value !== '') filter[field] = fromQueryValue(field, value);
  }
  return filter as EventFilter;
}

/** The query parameters of a filter (only the fields it sets). */
export function filterToQuery(filter: EventFilter): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  for (const [field, name] of Object.entries(QUERY_NAMES) as [keyof EventFilter, string][]) {
    const value = filter[field];
    if (!value) continue;
    if (field === 'meta') query[name] = formatMeta(value as MetaMatch);
    else if (field === 'statusClass') query[name] = STATUS_CLASSES.find((s) => s.value === value)?.label;
    else query[name] = value as string;
  }
  return query;
}

/** Whether an event passes a filter (the live feed filters on the client; content search is the history's alone). */
export function matchesFilter(event: UsageEventFieldsFragment, filter: EventFilter): boolean {
  const { meta, statusClass } = filter;
  return (
    (!filter.keyId || event.keyId === filter.keyId) &&
    (!filter.teamId || event.teamId === filter.teamId) &&
    (!filter.model || event.model === filter.model) &&
    (!filter.decision || event.decision === filter.decision) &&
    (!filter.requestId || event.requestId === filter.requestId) &&
    (!filter.provider || event.provider === filter.provider) &&
    (!statusClass || Math.floor(event.status / 100) === STATUS_CLASSES.find((s) => s.value === statusClass)?.digit) &&
    (!filter.tag || event.tags.includes(filter.tag)) &&
    (!meta || event.meta.some((m) => m.name === meta.name && m.value === meta.value)) &&
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
  if (filter.requestId) out.requestId = filter.requestId;
  if (filter.provider) out.provider = filter.provider;
  if (filter.statusClass) out.statusClass = filter.statusClass;
  if (filter.tag) out.tag = filter.tag;
  if (filter.meta) out.meta = { name: filter.meta.name, value: filter.meta.value };
  if (filter.mcpServer) out.mcpServer = filter.mcpServer;
  if (filter.mcpTool) out.mcpTool = filter.mcpTool;
  if (filter.search) out.search = filter.search;
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
