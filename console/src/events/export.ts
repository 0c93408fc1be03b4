import { toMicros } from '@/composables/money';
import { Kind } from 'graphql';
import { UsageEventFieldsFragmentDoc, type UsageEventFieldsFragment } from '@/gql/graphql';

/**
 * Fields of an export, in order: every field the console reads of an event (the
 * `UsageEventFields` fragment, which a test checks against the API's `UsageEvent` type), except
 * captured content. A field added to the fragment is exported without a second list to update.
 */
export const EXPORT_COLUMNS: readonly (keyof UsageEventFieldsFragment)[] = fragmentFields().filter((name) => name !== 'content');

function fragmentFields(): (keyof UsageEventFieldsFragment)[] {
  const fragment = UsageEventFieldsFragmentDoc.definitions[0];
  if (fragment?.kind !== Kind.FRAGMENT_DEFINITION) throw new Error('UsageEventFields is not a fragment');
  return fragment.selectionSet.selections.flatMap((s) =>
    s.kind === Kind.FIELD && !s.name.value.startsWith('__') ? [s.name.value as keyof UsageEventFieldsFragment] : [],
  );
}

/** A policy match as one readable token: `<policy id>@v<version>:<rule>:<action>`, with `:shadow` when not enforced. */
function formatPolicyMatch(m: UsageEventFieldsFragment['policyMatches'][number]): string {
  return `${m.policyId}@v${m.policyVersion}:${m.ruleId}:${m.action.toLowerCase()}${m.shadow ? ':shadow' : ''}`;
}

/** An attempt as one readable token: `<credential id>/<model>:<outcome>[:<status>]:<ms>ms`. */
function formatAttempt(a: UsageEventFieldsFragment['attempts'][number]): string {
  return `${a.credentialId}/${a.model}:${a.outcome.toLowerCase()}${a.status === null ? '' : `:${a.status}`}:${a.latencyMs}ms`;
}

/** The value a column holds in an export: money as a string of micro-dollars. */
function columnValue(event: UsageEventFieldsFragment, column: keyof UsageEventFieldsFragment, csv: boolean): unknown {
  if (column === 'costMicros') return toMicros(event.costMicros).toString();
  if (column === 'policyMatches') {
    return csv
      ? event.policyMatches.map(formatPolicyMatch)
      : event.policyMatches.map((m) => ({
          policyId: m.policyId,
          policyVersion: m.policyVersion,
          ruleId: m.ruleId,
          action: m.action,
          phase: m.phase,
          shadow: m.shadow,
        }));
  }
  if (column === 'attempts') {
    return csv
      ? event.attempts.map(formatAttempt)
      : event.attempts.map(({ credentialId, model, outcome, status, latencyMs }) => ({ credentialId, model, outcome, status, latencyMs }));
  }
  if (column === 'anomalyReasons') {
    return csv ? event.anomalyReasons.map((r) => `${r.code}: ${r.message}`).join('; ') : event.anomalyReasons.map(({ code, message }) => ({ code, message }));
  }
  if (column === 'hdpChain') {
    // HDP delegation chain, in order: `<agent id>:<agent type>` per hop.
    return csv ? event.hdpChain.map((h) => `${h.agentId}:${h.agentType}`) : event.hdpChain.map(({ agentId, agentType }) => ({ agentId, agentType }));
  }
  if (column === 'meta') {
    // Custom metadata headers: `<name>=<value>` per header.
    return csv ? event.meta.map((m) => `${m.name}=${m.value}`) : event.meta.map(({ name, value }) => ({ name, value }));
  }
  return event[column];
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading
 * `= + - @` is prefixed with an apostrophe so spreadsheets do not run it as a formula.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Events as CSV with a header row; money stays in integer micro-dollars (`costMicros`), policy matches as tokens separated by spaces. */
export function eventsToCsv(events: readonly UsageEventFieldsFragment[]): string {
  const rows = events.map((e) => EXPORT_COLUMNS.map((c) => csvField(columnValue(e, c, true))).join(','));
  return [EXPORT_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** Events as a JSON array of the same fields as the CSV; money as a string of micro-dollars. */
export function eventsToJson(events: readonly UsageEventFieldsFragment[]): string {
  const rows = events.map((e) => Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, columnValue(e, c, false)])));
  return JSON.stringify(rows, null, 2);
}
