/**
 * The form a baseline travels in: the control plane keeps the whole baseline in PostgreSQL and
 * pushes a compact copy with each key and organization, so a config snapshot of thousands of
 * keys stays a few kilobytes per key. Numbers keep four significant digits (far finer than the
 * scoring's tails tell apart) and each novelty set keeps its most recently seen values; the
 * hours of the week are kept whole, as a dropped hour would look like a first activity.
 */
import type { AnomalyBaseline } from './baseline.js';
import type { NoveltySet } from './novelty.js';
import type { RobustStat } from './robust-stat.js';

/** Values pushed per novelty set (models, endpoints, tools, clients, user agents). */
export const WIRE_SET_VALUES = 64;

/** A copy of `baseline` sized for the config push. */
export function wireBaseline(baseline: AnomalyBaseline): AnomalyBaseline {
  return {
    requestsPerMinute: baseline.requestsPerMinute.map(stat),
    spendPerMinute: baseline.spendPerMinute.map(stat),
    requestsPerMinuteOverall: stat(baseline.requestsPerMinuteOverall),
    spendPerMinuteOverall: stat(baseline.spendPerMinuteOverall),
    requestsPerMinutePeak: stat(baseline.requestsPerMinutePeak),
    spendPerMinutePeak: stat(baseline.spendPerMinutePeak),
    promptTokens: stat(baseline.promptTokens),
    completionTokens: stat(baseline.completionTokens),
    requestCost: stat(baseline.requestCost),
    errors: { events: round(baseline.errors.events), total: round(baseline.errors.total) },
    blocks: { events: round(baseline.blocks.events), total: round(baseline.blocks.total) },
    models: set(baseline.models, WIRE_SET_VALUES),
    endpoints: set(baseline.endpoints, WIRE_SET_VALUES),
    tools: set(baseline.tools, WIRE_SET_VALUES),
    clients: set(baseline.clients, WIRE_SET_VALUES),
    userAgents: set(baseline.userAgents, WIRE_SET_VALUES),
    userAgentFamilies: set(baseline.userAgentFamilies, WIRE_SET_VALUES),
    activeHours: set(baseline.activeHours, Infinity),
  };
}

function stat(value: RobustStat): RobustStat {
  return { m: round(value.m), s: round(value.s), n: round(value.n) };
}

function set(value: NoveltySet, keep: number): NoveltySet {
  const entries = Object.entries(value.seen);
  if (entries.length > keep) entries.sort((a, b) => b[1].last - a[1].last).splice(keep);
  return {
    seen: Object.fromEntries(entries.map(([name, seen]) => [name, { first: seen.first, last: seen.last }])),
    novel: round(value.novel),
    observations: round(value.observations),
  };
}

function round(value: number): number {
  return value === 0 || !Number.isFinite(value) ? 0 : Number(value.toPrecision(4));
}
