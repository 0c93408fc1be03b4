import { DETECTOR_NAMES, type DetectorName } from '../pii/types.js';
import { CallSource, TextSource, type EvalState } from './eval-state.js';
import { compileGlobs } from './glob.js';
import { compileSafeRegex } from './safe-regex.js';
import { compilePathTest, compileValueOperators, describeValueTest, list, quote } from './compile-value.js';
import type { AnomalyTest, Condition, NumberTest, ProvenanceTest, RulePhase, TextTest, TimeOfDayTest, ValueTest } from './types.js';
import { WEEKDAYS } from './validate-condition.js';
import { localWeekMinute } from '../time/zoned-time.js';

/** A condition's verdict with a short reason, for the console's test panel. */
interface Explanation {
  readonly matched: boolean;
  readonly reason: string;
}

/** A compiled condition: a fast test for enforcement and an explaining twin for testing. */
export interface CompiledCondition {
  readonly test: (s: EvalState) => boolean;
  readonly explain: (s: EvalState) => Explanation;
}

/** What a compiled set reads from its contexts; see `PolicyNeeds`. */
export interface MutableNeeds {
  promptText: boolean;
  systemText: boolean;
  piiDetectors: Set<DetectorName>;
  toolsOffered: boolean;
  toolCalls: boolean;
  headers: boolean;
  keyLabels: boolean;
  keyMetadata: boolean;
  estimatedInputTokens: boolean;
  maxOutputTokens: boolean;
  estimatedCostMicros: boolean;
  responseText: boolean;
  responseToolCalls: boolean;
  anomaly: boolean;
}

/** Compile-time settings of one policy's conditions. */
export interface ConditionOptions {
  readonly phase: RulePhase;
  readonly defaultTimeZone: string;
  readonly needs: MutableNeeds;
}

const WEEKDAY_LABELS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function leaf(test: (s: EvalState) => boolean, reason: (s: EvalState, matched: boolean) => string): CompiledCondition {
  return {
    test,
    explain: (s) => {
      const matched = test(s);
      return { matched, reason: reason(s, matched) };
    },
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A string-keyed lookup (labels, headers) tested by name. */
function compileNamed(name: string, t: ValueTest, record: (s: EvalState) => Readonly<Record<string, unknown>>, what: string): CompiledCondition {
  const check = compileValueOperators(t);
  const absentOk = t.exists === false;
  const test = (s: EvalState) => {
    const r = record(s);
    return Object.hasOwn(r, name) ? check(r[name]) : absentOk;
  };
  return leaf(test, (s, matched) => {
    const r = record(s);
    const shown = Object.hasOwn(r, name) ? `is ${quote(r[name])}` : 'is absent';
    return `${what} ${quote(name)} ${shown}, which ${matched ? 'passes' : 'fails'} ${describeValueTest(t)}`;
  });
}

function compileText(
  source: TextSource,
  t: TextTest,
  opts: ConditionOptions,
  label = source === TextSource.Prompt ? 'prompt' : source === TextSource.System ? 'system prompt' : 'answer',
): CompiledCondition {
  if (source === TextSource.Prompt) opts.needs.promptText = true;
  else if (source === TextSource.System) opts.needs.systemText = true;
  else opts.needs.responseText = true;

  if ('pii' in t) {
    const detectors = t.pii.map((d) => DETECTOR_NAMES.indexOf(d));
    for (const d of t.pii) opts.needs.piiDetectors.add(d);
    const test = (s: EvalState) => {
      for (let i = 0; i < detectors.length; i++) if (s.hasPii(source, detectors[i])) return true;
      return false;
    };
    return leaf(test, (s) => {
      const hits = t.pii.filter((_, i) => s.hasPii(source, detectors[i]));
      return hits.length > 0 ? `${label} contains ${hits.join(', ')}` : `no ${t.pii.join(', ')} found in the ${label}`;
    });
  }
  if ('regex' in t) {
    const compiled = compileSafeRegex(t.regex, t.ignoreCase);
    if (!compiled.ok) throw new Error(`regex ${quote(t.regex)} ${compiled.reason}`);
    const re = compiled.regex;
    return leaf(
      (s) => re.test(s.text(source)),
      (_s, matched) => `${label} ${matched ? 'matches' : 'does not match'} /${t.regex}/${t.ignoreCase ? 'i' : ''}`,
    );
  }
  const needles = t.contains;
  let test: (s: EvalState) => boolean;
  if (t.ignoreCase) {
    // An alternation of escaped literals cannot backtrack badly, and one pass beats lower-casing.
    const re = new RegExp(needles.map(escapeRegex).join('|'), 'i');
    test = (s) => re.test(s.text(source));
  } else if (needles.length === 1) {
    const needle = needles[0];
    test = (s) => s.text(source).includes(needle);
  } else {
    test = (s) => {
      const text = s.text(source);
      for (let i = 0; i < needles.length; i++) if (text.includes(needles[i])) return true;
      return false;
    };
  }
  return leaf(test, (s, matched) => {
    if (!matched) return `${label} contains none of ${list(needles)}`;
    const text = t.ignoreCase ? s.text(source).toLowerCase() : s.text(source);
    const hit = needles.find((n) => text.includes(t.ignoreCase ? n.toLowerCase() : n)) ?? needles[0];
    return `${label} contains ${quote(hit)}`;
  });
}

function compileNumber(t: NumberTest, value: (s: EvalState) => number | null, what: string): CompiledCondition {
  const { gt, gte, lt, lte, eq } = t;
  const test = (s: EvalState) => {
    const v = value(s);
    if (v === null) return false;
    return (
      (gt === undefined || v > gt) &&
      (gte === undefined || v >= gte) &&
      (lt === undefined || v < lt) &&
      (lte === undefined || v <= lte) &&
      (eq === undefined || v === eq)
    );
  };
  const bounds = (['gt', 'gte', 'lt', 'lte', 'eq'] as const)
    .filter((k) => t[k] !== undefined)
    .map((k) => `${k} ${t[k]}`)
    .join(' and ');
  return leaf(test, (s, matched) => {
    const v = value(s);
    return v === null ? `${what} is not set` : `${what} is ${v}, which ${matched ? 'passes' : 'fails'} ${bounds}`;
  });
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function compileTimeOfDay(t: TimeOfDayTest, opts: ConditionOptions): CompiledCondition {
  const zone = t.timeZone ?? opts.defaultTimeZone;
  const start = t.between === undefined ? 0 : minutesOf(t.between[0]);
  const end = t.between === undefined ? 1440 : minutesOf(t.between[1]);
  const wraps = start > end;
  let dayMask = 0;
  for (const d of t.weekdays ?? WEEKDAYS) dayMask |= 1 << WEEKDAYS.indexOf(d);
  const test = (s: EvalState) => {
    const packed = localWeekMinute(zone, s.request.now.getTime());
    const weekday = Math.floor(packed / 1440);
    if ((dayMask & (1 << weekday)) === 0) return false;
    const minute = packed - weekday * 1440;
    return wraps ? minute >= start || minute < end : minute >= start && minute < end;
  };
  return leaf(test, (s, matched) => {
    const packed = localWeekMinute(zone, s.request.now.getTime());
    const weekday = Math.floor(packed / 1440);
    const minute = packed - weekday * 1440;
    const local = `${WEEKDAY_LABELS[weekday]} ${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    const window = [t.between ? `${t.between[0]}–${t.between[1]}` : '', t.weekdays ? t.weekdays.join('/') : ''].filter(Boolean).join(' on ');
    return `local time ${local} in ${zone} is ${matched ? 'within' : 'outside'} ${window}`;
  });
}

/** Each field of a provenance test as a check of the request's HDP facts (null: no check ran). */
function compileProvenance(t: ProvenanceTest): CompiledCondition {
  const oneOf = (values: readonly string[] | undefined) => (values === undefined ? null : new Set(values));
  const results = oneOf(t.result);
  const principalTypes = oneOf(t.principalType);
  const classifications = oneOf(t.classification);
  const principalId = t.principalId === undefined ? null : compileGlobs(t.principalId);
  const agentId = t.agentIds === undefined ? null : compileGlobs(t.agentIds);
  const intent = t.intentContains === undefined ? null : new RegExp(t.intentContains.map(escapeRegex).join('|'), 'i');
  const hops = t.hopCount === undefined ? null : compileNumber(t.hopCount, (s) => s.request.provenance?.hopCount ?? null, 'HDP hop count').test;
  const verifiedOnly = principalId || agentId || intent || hops || principalTypes || classifications;
  const test = (s: EvalState) => {
    const p = s.request.provenance;
    if (!p) return false;
    if (results && !results.has(p.result)) return false;
    if (!verifiedOnly) return true;
    if (p.principalId === null) return false;
    if (principalId && !principalId(p.principalId)) return false;
    if (principalTypes && !principalTypes.has(p.principalType ?? '')) return false;
    if (classifications && !classifications.has(p.classification ?? '')) return false;
    if (intent && !intent.test(p.intent ?? '')) return false;
    if (agentId && !p.agentIds.some(agentId)) return false;
    return hops === null || hops(s);
  };
  return leaf(test, (s, matched) => {
    const p = s.request.provenance;
    if (!p) return 'no HDP provenance check ran';
    const who =
      p.principalId === null
        ? 'no verified token'
        : `principal ${quote(p.principalId)} (${p.principalType}) through ${p.hopCount} hop(s) [${p.agentIds.join(', ')}], ${p.classification}`;
    return `HDP ${p.result}, ${who}: ${matched ? 'matches' : 'does not match'} the provenance test`;
  });
}

/** The request's anomaly score above `scoreAbove`, and one of its reasons among `reasons`. */
function compileAnomaly(t: AnomalyTest): CompiledCondition {
  const reasons = t.reasons === undefined ? null : new Set<string>(t.reasons);
  const test = (s: EvalState) => {
    const a = s.request.anomaly;
    if (!a) return false;
    if (t.scoreAbove !== undefined && !(a.score > t.scoreAbove)) return false;
    return reasons === null || a.reasons.some((r) => reasons.has(r));
  };
  return leaf(test, (s, matched) => {
    const a = s.request.anomaly;
    if (!a) return 'no anomaly score';
    return `anomaly score ${a.score}${a.reasons.length > 0 ? ` (${a.reasons.join(', ')})` : ''} ${matched ? 'matches' : 'does not match'} the anomaly test`;
  });
}

/** Compiles a condition tree and records what it reads in `opts.needs`. */
export function compileCondition(c: Condition, opts: ConditionOptions): CompiledCondition {
  if ('all' in c) return compileAll(c.all.map((x) => compileCondition(x, opts)));
  if ('any' in c) return compileAny(c.any.map((x) => compileCondition(x, opts)));
  if ('not' in c) {
    const inner = compileCondition(c.not, opts);
    return {
      test: (s) => !inner.test(s),
      explain: (s) => {
        const e = inner.explain(s);
        return { matched: !e.matched, reason: `not (${e.reason})` };
      },
    };
  }
  if ('provider' in c) {
    const set = new Set<string>(c.provider);
    return leaf(
      (s) => set.has(s.request.provider),
      (s, m) => `provider ${quote(s.request.provider)} is ${m ? '' : 'not '}one of ${list(c.provider)}`,
    );
  }
  if ('api' in c) {
    const set = new Set<string>(c.api);
    return leaf(
      (s) => set.has(s.request.api),
      (s, m) => `API ${quote(s.request.api)} is ${m ? '' : 'not '}one of ${list(c.api)}`,
    );
  }
  if ('endpoint' in c) {
    const match = compileGlobs(c.endpoint);
    return leaf(
      (s) => match(s.request.endpoint),
      (s, m) => `endpoint ${quote(s.request.endpoint)} ${m ? 'matches' : 'matches none of'} ${list(c.endpoint)}`,
    );
  }
  if ('model' in c) {
    const match = compileGlobs(c.model);
    return leaf(
      (s) => match(s.request.model),
      (s, m) => `model ${quote(s.request.model)} ${m ? 'matches' : 'matches none of'} ${list(c.model)}`,
    );
  }
  if ('keyLabel' in c) {
    opts.needs.keyLabels = true;
    const { name, ...t } = c.keyLabel;
    return compileNamed(name, t, (s) => s.request.keyLabels, 'key label');
  }
  if ('header' in c) {
    opts.needs.headers = true;
    const { name, ...t } = c.header;
    return compileNamed(name, t, (s) => s.request.headers, 'header');
  }
  if ('keyMetadata' in c) {
    opts.needs.keyMetadata = true;
    const test = compilePathTest(c.keyMetadata);
    return leaf(
      (s) => test(s.request.keyMetadata),
      (_s, m) => `key metadata at ${quote(c.keyMetadata.path)} ${m ? 'passes' : 'fails'} ${describeValueTest(c.keyMetadata)}`,
    );
  }
  if ('prompt' in c) return compileText(TextSource.Prompt, c.prompt, opts);
  if ('system' in c) return compileText(TextSource.System, c.system, opts);
  if ('completion' in c) return compileText(TextSource.Completion, c.completion, opts);
  if ('toolOffered' in c) {
    opts.needs.toolsOffered = true;
    const match = compileGlobs(c.toolOffered);
    const test = (s: EvalState) => {
      const tools = s.request.toolsOffered;
      for (let i = 0; i < tools.length; i++) if (match(tools[i])) return true;
      return false;
    };
    return leaf(test, (s, m) => (m ? `tool ${quote(s.request.toolsOffered.find(match))} is offered` : `no offered tool matches ${list(c.toolOffered)}`));
  }
  if ('toolCall' in c) {
    const source = opts.phase === 'response' ? CallSource.Answer : CallSource.History;
    if (source === CallSource.Answer) opts.needs.responseToolCalls = true;
    else opts.needs.toolCalls = true;
    const name = c.toolCall.name === undefined ? null : compileGlobs(c.toolCall.name);
    const args = (c.toolCall.args ?? []).map(compilePathTest);
    const matchingCall = (s: EvalState): number => {
      const calls = s.calls(source);
      outer: for (let i = 0; i < calls.length; i++) {
        if (name !== null && !name(calls[i].name)) continue;
        for (let j = 0; j < args.length; j++) if (!args[j](s.args(source, i))) continue outer;
        return i;
      }
      return -1;
    };
    const where = source === CallSource.Answer ? 'in the answer' : 'in the conversation';
    return leaf(
      (s) => matchingCall(s) >= 0,
      (s, m) => (m ? `tool call ${quote(s.calls(source)[matchingCall(s)].name)} ${where} matches` : `no tool call ${where} matches`),
    );
  }
  if ('inputTokens' in c) {
    opts.needs.estimatedInputTokens = true;
    return compileNumber(c.inputTokens, (s) => s.request.estimatedInputTokens, 'estimated input tokens');
  }
  if ('maxOutputTokens' in c) {
    opts.needs.maxOutputTokens = true;
    return compileNumber(c.maxOutputTokens, (s) => s.request.maxOutputTokens, 'max output tokens');
  }
  if ('costMicros' in c) {
    opts.needs.estimatedCostMicros = true;
    return compileNumber(c.costMicros, (s) => s.request.estimatedCostMicros, 'estimated cost (micro-dollars)');
  }
  if ('mcpServer' in c || 'tool' in c) {
    const globs = 'mcpServer' in c ? c.mcpServer : c.tool;
    const match = compileGlobs(globs);
    const what = 'mcpServer' in c ? 'MCP server' : 'tool';
    const value = 'mcpServer' in c ? (s: EvalState) => s.request.mcp?.server ?? '' : (s: EvalState) => s.request.mcp?.tool ?? '';
    return leaf(
      (s) => match(value(s)),
      (s, m) => `${what} ${quote(value(s))} ${m ? 'matches' : 'matches none of'} ${list(globs)}`,
    );
  }
  // A tool call's arguments are its context's only message, and a tool's result its answer text.
  if ('toolArguments' in c) return compileText(TextSource.Prompt, c.toolArguments, opts, 'tool arguments');
  if ('toolResult' in c) return compileText(TextSource.Completion, c.toolResult, opts, 'tool result');
  if ('timeOfDay' in c) return compileTimeOfDay(c.timeOfDay, opts);
  if ('provenance' in c) return compileProvenance(c.provenance);
  if ('anomaly' in c) {
    opts.needs.anomaly = true;
    return compileAnomaly(c.anomaly);
  }
  throw new Error(`unknown condition ${quote(Object.keys(c)[0])}`);
}

function compileAll(children: CompiledCondition[]): CompiledCondition {
  const tests = children.map((c) => c.test);
  const test =
    tests.length === 1
      ? tests[0]
      : tests.length === 2
        ? (s: EvalState) => tests[0](s) && tests[1](s)
        : (s: EvalState) => {
            for (let i = 0; i < tests.length; i++) if (!tests[i](s)) return false;
            return true;
          };
  return {
    test,
    explain: (s) => {
      const reasons: string[] = [];
      for (const child of children) {
        const e = child.explain(s);
        if (!e.matched) return { matched: false, reason: e.reason };
        reasons.push(e.reason);
      }
      return { matched: true, reason: reasons.join('; ') };
    },
  };
}

function compileAny(children: CompiledCondition[]): CompiledCondition {
  const tests = children.map((c) => c.test);
  const test =
    tests.length === 1
      ? tests[0]
      : (s: EvalState) => {
          for (let i = 0; i < tests.length; i++) if (tests[i](s)) return true;
          return false;
        };
  return {
    test,
    explain: (s) => {
      const reasons: string[] = [];
      for (const child of children) {
        const e = child.explain(s);
        if (e.matched) return { matched: true, reason: e.reason };
        reasons.push(e.reason);
      }
      return { matched: false, reason: reasons.join('; ') };
    },
  };
}
