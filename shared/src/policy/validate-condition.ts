import { API_FAMILIES, PROVIDER_KINDS } from '../wire/config.js';
import { DETECTOR_GROUPS, DETECTOR_NAMES, expandDetectorRefs, type DetectorRef } from '../pii/types.js';
import { describe, isRecord, readBoolean, readEnum, readNumber, readOneOrMany, readString, type Checker, type Path } from './checker.js';
import { parseJsonPath } from './json-path.js';
import { compileSafeRegex } from './safe-regex.js';
import { ANOMALY_REASON_CODES, type AnomalyReasonCode } from '../anomaly/score.js';
import type {
  AnomalyTest,
  Condition,
  NamedValueTest,
  NumberTest,
  PathValueTest,
  ProvenanceTest,
  RulePhase,
  Scalar,
  TextTest,
  TimeOfDayTest,
  ToolCallTest,
  ValueTest,
  Weekday,
} from './types.js';
import { isKnownTimeZone } from '../time/zoned-time.js';
import { PROVENANCE_REASONS } from '../provenance/reasons.js';
import { HDP_DATA_CLASSIFICATIONS, HDP_PRINCIPAL_ID_TYPES } from '../provenance/token.js';

/** Weekday names, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Weekday[];

/** Every condition key, in the order error messages list them. */
export const CONDITION_KEYS = [
  'all',
  'any',
  'not',
  'provider',
  'api',
  'endpoint',
  'model',
  'keyLabel',
  'keyMetadata',
  'header',
  'prompt',
  'system',
  'completion',
  'toolOffered',
  'toolCall',
  'inputTokens',
  'maxOutputTokens',
  'costMicros',
  'timeOfDay',
  'provenance',
  'mcpServer',
  'tool',
  'toolArguments',
  'toolResult',
  'anomaly',
] as const;

/** Conditions that read a model call, which tool rules cannot test. */
const MODEL_CALL_ONLY = new Set<string>([
  'provider',
  'api',
  'endpoint',
  'model',
  'prompt',
  'system',
  'completion',
  'toolOffered',
  'inputTokens',
  'maxOutputTokens',
  'costMicros',
  'provenance',
  'anomaly',
]);
/** Conditions that read an MCP tool call, which model-call rules cannot test. */
const TOOL_CALL_ONLY = new Set<string>(['mcpServer', 'tool', 'toolArguments', 'toolResult']);

/** Whether `phase` is one of the MCP tool phases. */
export function isToolPhase(phase: RulePhase): phase is 'tool_call' | 'tool_result' {
  return phase === 'tool_call' || phase === 'tool_result';
}

/** What a `provenance` condition's `result` may name. */
const PROVENANCE_RESULTS = ['absent', 'valid', ...Object.keys(PROVENANCE_REASONS)];

const MAX_DEPTH = 16;
const MAX_LIST = 256;
const GLOB = { maxLength: 256 } as const;
const VALUE_OPERATORS = ['eq', 'neq', 'in', 'contains', 'regex', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;
const NUMBER_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
const HH_MM = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const HEADER_NAME = /^x-keyward-[a-z0-9-]+$/;
const DETECTOR_REFS: readonly string[] = [...DETECTOR_NAMES, ...Object.keys(DETECTOR_GROUPS)];

function readScalar(c: Checker, v: unknown, path: Path): Scalar | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
    return v;
  }
  c.fail(path, `must be a string, number, boolean or null, not ${describe(v)}`);
  return undefined;
}

/** Reads the operators of a value test from `obj`, whose other keys are `extraKeys`. */
function readValueTest(c: Checker, obj: Record<string, unknown>, path: Path, extraKeys: readonly string[]): ValueTest | undefined {
  let ok = c.knownKeys(obj, path, [...extraKeys, ...VALUE_OPERATORS]);
  if (!VALUE_OPERATORS.some((op) => obj[op] !== undefined)) {
    c.fail(path, `must test the value with at least one of: ${VALUE_OPERATORS.join(', ')}`);
    return undefined;
  }
  const test: { -readonly [K in keyof ValueTest]: ValueTest[K] } = {};
  for (const op of ['eq', 'neq', 'contains'] as const) {
    if (obj[op] === undefined) continue;
    const v = readScalar(c, obj[op], [...path, op]);
    if (v === undefined) ok = false;
    else test[op] = v;
  }
  if (obj.in !== undefined) {
    if (!Array.isArray(obj.in) || obj.in.length === 0) {
      c.fail([...path, 'in'], `must be a non-empty list of values, not ${describe(obj.in)}`);
      ok = false;
    } else {
      const values = readOneOrMany(c, obj.in, [...path, 'in'], 1000, (item, p) => readScalar(c, item, p));
      if (values === undefined) ok = false;
      else test.in = values;
    }
  }
  if (obj.regex !== undefined) {
    const source = readRegex(c, obj.regex, [...path, 'regex'], false);
    if (source === undefined) ok = false;
    else test.regex = source;
  }
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    if (obj[op] === undefined) continue;
    const v = readNumber(c, obj[op], [...path, op]);
    if (v === undefined) ok = false;
    else test[op] = v;
  }
  if (obj.exists !== undefined) {
    if (typeof obj.exists !== 'boolean') {
      c.fail([...path, 'exists'], `must be true or false, not ${describe(obj.exists)}`);
      ok = false;
    } else {
      test.exists = obj.exists;
    }
  }
  return ok ? test : undefined;
}

/** Reads a regex source and checks it against the admission rules. */
export function readRegex(c: Checker, v: unknown, path: Path, ignoreCase: boolean): string | undefined {
  if (typeof v !== 'string') {
    c.fail(path, `must be a regular expression written as a string, not ${describe(v)}`);
    return undefined;
  }
  const result = compileSafeRegex(v, ignoreCase);
  if (!result.ok) {
    c.fail(path, result.reason);
    return undefined;
  }
  return v;
}

function readNamedTest(c: Checker, v: unknown, path: Path, header: boolean): NamedValueTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "name": "${header ? 'x-keyward-agent-id' : 'env'}", "eq": "…" }, not ${describe(v)}`);
    return undefined;
  }
  let name: string | undefined;
  if (v.name === undefined) c.fail(path, 'must have a "name"');
  else if (header) {
    name = readString(c, typeof v.name === 'string' ? v.name.toLowerCase() : v.name, [...path, 'name'], {
      maxLength: 128,
      pattern: HEADER_NAME,
      patternText: 'a header name starting with "x-keyward-" (only those reach policies)',
    });
  } else name = readString(c, v.name, [...path, 'name'], { maxLength: 256 });
  const test = readValueTest(c, v, path, ['name']);
  return name === undefined || test === undefined ? undefined : { name, ...test };
}

function readPathTest(c: Checker, v: unknown, path: Path): PathValueTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "path": "$.command", "contains": "rm -rf" }, not ${describe(v)}`);
    return undefined;
  }
  let jsonPath: string | undefined;
  if (v.path === undefined) c.fail(path, 'must have a "path"');
  else {
    jsonPath = readString(c, v.path, [...path, 'path'], { maxLength: 512 });
    if (jsonPath !== undefined) {
      const parsed = parseJsonPath(jsonPath);
      if (!parsed.ok) {
        c.fail([...path, 'path'], parsed.reason);
        jsonPath = undefined;
      }
    }
  }
  const test = readValueTest(c, v, path, ['path']);
  return jsonPath === undefined || test === undefined ? undefined : { path: jsonPath, ...test };
}

function readTextTest(c: Checker, v: unknown, path: Path): TextTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object with one of "contains", "regex" or "pii", not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, ['contains', 'regex', 'pii', 'ignoreCase'])) return undefined;
  const kinds = (['contains', 'regex', 'pii'] as const).filter((k) => v[k] !== undefined);
  if (kinds.length !== 1) {
    c.fail(
      path,
      kinds.length === 0
        ? 'must have one of "contains", "regex" or "pii"'
        : `must have only one of ${kinds.map((k) => `"${k}"`).join(', ')}; combine tests with "any" or "all"`,
    );
    return undefined;
  }
  const ignoreCase = readBoolean(c, v.ignoreCase, [...path, 'ignoreCase'], false);
  if (kinds[0] === 'pii') {
    if (v.ignoreCase !== undefined) {
      c.fail([...path, 'ignoreCase'], 'does not apply to "pii"');
      return undefined;
    }
    const refs = readOneOrMany(c, v.pii, [...path, 'pii'], 64, (item, p) => readEnum(c, item, p, DETECTOR_REFS));
    return refs === undefined ? undefined : { pii: expandDetectorRefs(refs as DetectorRef[]) };
  }
  if (kinds[0] === 'regex') {
    const regex = readRegex(c, v.regex, [...path, 'regex'], ignoreCase);
    return regex === undefined ? undefined : { regex, ignoreCase };
  }
  const contains = readOneOrMany(c, v.contains, [...path, 'contains'], MAX_LIST, (item, p) => readString(c, item, p, { maxLength: 1024 }));
  return contains === undefined ? undefined : { contains, ignoreCase };
}

function readNumberTest(c: Checker, v: unknown, path: Path): NumberTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "gt": 1000 }, not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, NUMBER_OPERATORS, 'comparison')) return undefined;
  if (!NUMBER_OPERATORS.some((op) => v[op] !== undefined)) {
    c.fail(path, `must have at least one of: ${NUMBER_OPERATORS.join(', ')}`);
    return undefined;
  }
  const test: { -readonly [K in keyof NumberTest]: NumberTest[K] } = {};
  let ok = true;
  for (const op of NUMBER_OPERATORS) {
    if (v[op] === undefined) continue;
    const n = readNumber(c, v[op], [...path, op]);
    if (n === undefined) ok = false;
    else test[op] = n;
  }
  return ok ? test : undefined;
}

function readToolCallTest(c: Checker, v: unknown, path: Path): ToolCallTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object with "name" and/or "args", not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, ['name', 'args'])) return undefined;
  const test: { -readonly [K in keyof ToolCallTest]: ToolCallTest[K] } = {};
  let ok = true;
  if (v.name !== undefined) {
    const names = readOneOrMany(c, v.name, [...path, 'name'], MAX_LIST, (item, p) => readString(c, item, p, GLOB));
    if (names === undefined) ok = false;
    else test.name = names;
  }
  if (v.args !== undefined) {
    const args = readOneOrMany(c, v.args, [...path, 'args'], 32, (item, p) => readPathTest(c, item, p));
    if (args === undefined) ok = false;
    else test.args = args;
  }
  return ok ? test : undefined;
}

function readProvenanceTest(c: Checker, v: unknown, path: Path): ProvenanceTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "principalId": "usr_*", "hopCount": { "lte": 2 } }, not ${describe(v)}`);
    return undefined;
  }
  const fields = ['result', 'principalId', 'principalType', 'intentContains', 'classification', 'hopCount', 'agentIds'] as const;
  if (!c.knownKeys(v, path, fields)) return undefined;
  if (!fields.some((f) => v[f] !== undefined)) {
    c.fail(path, `must have at least one of: ${fields.join(', ')}`);
    return undefined;
  }
  const lists = {
    result: (item: unknown, p: Path) => readEnum(c, item, p, PROVENANCE_RESULTS),
    principalId: (item: unknown, p: Path) => readString(c, item, p, GLOB),
    principalType: (item: unknown, p: Path) => readEnum(c, item, p, HDP_PRINCIPAL_ID_TYPES),
    intentContains: (item: unknown, p: Path) => readString(c, item, p, { maxLength: 1024 }),
    classification: (item: unknown, p: Path) => readEnum(c, item, p, HDP_DATA_CLASSIFICATIONS),
    agentIds: (item: unknown, p: Path) => readString(c, item, p, GLOB),
  };
  const test: { -readonly [K in keyof ProvenanceTest]: ProvenanceTest[K] } = {};
  let ok = true;
  for (const [field, read] of Object.entries(lists) as [keyof typeof lists, (item: unknown, p: Path) => string | undefined][]) {
    if (v[field] === undefined) continue;
    const values = readOneOrMany(c, v[field], [...path, field], MAX_LIST, read);
    if (values === undefined) ok = false;
    else test[field] = values;
  }
  if (v.hopCount !== undefined) {
    const hopCount = readNumberTest(c, v.hopCount, [...path, 'hopCount']);
    if (hopCount === undefined) ok = false;
    else test.hopCount = hopCount;
  }
  return ok ? test : undefined;
}

function readAnomalyTest(c: Checker, v: unknown, path: Path): AnomalyTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "scoreAbove": 80, "reasons": ["request_rate"] }, not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, ['scoreAbove', 'reasons'])) return undefined;
  if (v.scoreAbove === undefined && v.reasons === undefined) {
    c.fail(path, 'must have at least one of: scoreAbove, reasons');
    return undefined;
  }
  const test: { -readonly [K in keyof AnomalyTest]: AnomalyTest[K] } = {};
  let ok = true;
  if (v.scoreAbove !== undefined) {
    if (typeof v.scoreAbove !== 'number' || !Number.isInteger(v.scoreAbove) || v.scoreAbove < 0 || v.scoreAbove > 99) {
      c.fail([...path, 'scoreAbove'], `must be a whole score from 0 to 99, not ${describe(v.scoreAbove)}`);
      ok = false;
    } else test.scoreAbove = v.scoreAbove;
  }
  if (v.reasons !== undefined) {
    const reasons = readOneOrMany(c, v.reasons, [...path, 'reasons'], ANOMALY_REASON_CODES.length, (item, p) => readEnum(c, item, p, ANOMALY_REASON_CODES));
    if (reasons === undefined) ok = false;
    else test.reasons = reasons as AnomalyReasonCode[];
  }
  return ok ? test : undefined;
}

function readTimeOfDay(c: Checker, v: unknown, path: Path): TimeOfDayTest | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "between": ["09:00", "17:00"], "timeZone": "Europe/Paris" }, not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, ['between', 'timeZone', 'weekdays'])) return undefined;
  if (v.between === undefined && v.weekdays === undefined) {
    c.fail(path, 'must have "between", "weekdays" or both');
    return undefined;
  }
  const test: { -readonly [K in keyof TimeOfDayTest]: TimeOfDayTest[K] } = {};
  let ok = true;
  if (v.between !== undefined) {
    const b = v.between;
    if (!Array.isArray(b) || b.length !== 2) {
      c.fail([...path, 'between'], `must be a pair of times such as ["09:00", "17:00"], not ${describe(b)}`);
      ok = false;
    } else {
      const times = b.map((t, i) => {
        if (typeof t === 'string' && HH_MM.test(t) && !(i === 0 && t === '24:00')) return t;
        c.fail([...path, 'between', i], `must be a time written HH:MM (00:00 to 23:59${i === 1 ? ', or 24:00' : ''}), not ${describe(t)}`);
        return undefined;
      });
      if (times[0] === undefined || times[1] === undefined) ok = false;
      else if (times[0] === times[1]) {
        c.fail([...path, 'between'], 'must not start and end at the same time; leave "between" out to match the whole day');
        ok = false;
      } else test.between = [times[0], times[1]];
    }
  }
  if (v.timeZone !== undefined) {
    const zone = readString(c, v.timeZone, [...path, 'timeZone'], { maxLength: 64 });
    if (zone === undefined) ok = false;
    else if (!isKnownTimeZone(zone)) {
      c.fail([...path, 'timeZone'], `must be an IANA time zone such as "Europe/Paris", not ${JSON.stringify(zone)}`);
      ok = false;
    } else test.timeZone = zone;
  }
  if (v.weekdays !== undefined) {
    const days = readOneOrMany(c, v.weekdays, [...path, 'weekdays'], 7, (item, p) => readEnum(c, item, p, WEEKDAYS));
    if (days === undefined) ok = false;
    else test.weekdays = WEEKDAYS.filter((d) => days.includes(d));
  }
  return ok ? test : undefined;
}

/**
 * Reads a condition tree, reporting every problem in it. `phase` is the rule's `on`: the answer's
 * text (`completion`) exists only for response rules.
 */
export function readCondition(c: Checker, v: unknown, path: Path, phase: RulePhase, depth = 0): Condition | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be a condition object such as { "model": "gpt-4o*" }, not ${describe(v)}`);
    return undefined;
  }
  if (depth >= MAX_DEPTH) {
    c.fail(path, `is nested more than ${MAX_DEPTH} levels deep`);
    return undefined;
  }
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    c.fail(
      path,
      keys.length === 0
        ? `must name one condition (${CONDITION_KEYS.join(', ')})`
        : `has ${keys.length} keys (${keys.join(', ')}) but a condition has exactly one; combine conditions with "all" or "any"`,
    );
    return undefined;
  }
  const key = keys[0];
  const value = v[key];
  const at: Path = [...path, key];
  if (isToolPhase(phase) ? MODEL_CALL_ONLY.has(key) : TOOL_CALL_ONLY.has(key)) {
    c.fail(
      at,
      isToolPhase(phase)
        ? `cannot be tested on a "${phase}" rule, which sees an MCP tool call (use mcpServer, tool, toolCall, toolArguments${phase === 'tool_result' ? ', toolResult' : ''}, keyLabel, keyMetadata, header or timeOfDay)`
        : `is only available on rules with "on": "tool_call" or "tool_result" (it reads an MCP tool call)`,
    );
    return undefined;
  }
  switch (key) {
    case 'all':
    case 'any': {
      if (!Array.isArray(value) || value.length === 0) {
        c.fail(at, `must be a non-empty list of conditions, not ${describe(value)}`);
        return undefined;
      }
      const list = readOneOrMany(c, value, at, MAX_LIST, (item, p) => readCondition(c, item, p, phase, depth + 1));
      if (list === undefined) return undefined;
      return key === 'all' ? { all: list } : { any: list };
    }
    case 'not': {
      const inner = readCondition(c, value, at, phase, depth + 1);
      return inner === undefined ? undefined : { not: inner };
    }
    case 'provider': {
      const list = readOneOrMany(c, value, at, MAX_LIST, (item, p) => readEnum(c, item, p, PROVIDER_KINDS));
      return list === undefined ? undefined : { provider: list };
    }
    case 'api': {
      const list = readOneOrMany(c, value, at, MAX_LIST, (item, p) => readEnum(c, item, p, API_FAMILIES));
      return list === undefined ? undefined : { api: list };
    }
    case 'endpoint':
    case 'model':
    case 'toolOffered': {
      const list = readOneOrMany(c, value, at, MAX_LIST, (item, p) => readString(c, item, p, GLOB));
      if (list === undefined) return undefined;
      return key === 'endpoint' ? { endpoint: list } : key === 'model' ? { model: list } : { toolOffered: list };
    }
    case 'keyLabel':
    case 'header': {
      const test = readNamedTest(c, value, at, key === 'header');
      if (test === undefined) return undefined;
      return key === 'header' ? { header: test } : { keyLabel: test };
    }
    case 'keyMetadata': {
      const test = readPathTest(c, value, at);
      return test === undefined ? undefined : { keyMetadata: test };
    }
    case 'prompt':
    case 'system':
    case 'completion': {
      if (key === 'completion' && phase !== 'response') {
        c.fail(at, 'is only available on rules with "on": "response" (the answer does not exist yet)');
        return undefined;
      }
      const test = readTextTest(c, value, at);
      if (test === undefined) return undefined;
      return key === 'prompt' ? { prompt: test } : key === 'system' ? { system: test } : { completion: test };
    }
    case 'toolCall': {
      const test = readToolCallTest(c, value, at);
      return test === undefined ? undefined : { toolCall: test };
    }
    case 'mcpServer':
    case 'tool': {
      const list = readOneOrMany(c, value, at, MAX_LIST, (item, p) => readString(c, item, p, GLOB));
      if (list === undefined) return undefined;
      return key === 'mcpServer' ? { mcpServer: list } : { tool: list };
    }
    case 'toolArguments':
    case 'toolResult': {
      if (key === 'toolResult' && phase !== 'tool_result') {
        c.fail(at, 'is only available on rules with "on": "tool_result" (the tool has not answered yet)');
        return undefined;
      }
      const test = readTextTest(c, value, at);
      if (test === undefined) return undefined;
      return key === 'toolArguments' ? { toolArguments: test } : { toolResult: test };
    }
    case 'inputTokens':
    case 'maxOutputTokens':
    case 'costMicros': {
      const test = readNumberTest(c, value, at);
      if (test === undefined) return undefined;
      return key === 'inputTokens' ? { inputTokens: test } : key === 'maxOutputTokens' ? { maxOutputTokens: test } : { costMicros: test };
    }
    case 'timeOfDay': {
      const test = readTimeOfDay(c, value, at);
      return test === undefined ? undefined : { timeOfDay: test };
    }
    case 'provenance': {
      const test = readProvenanceTest(c, value, at);
      return test === undefined ? undefined : { provenance: test };
    }
    case 'anomaly': {
      const test = readAnomalyTest(c, value, at);
      return test === undefined ? undefined : { anomaly: test };
    }
    default:
      c.fail(at, `is not a known condition; expected one of: ${CONDITION_KEYS.join(', ')}`);
      return undefined;
  }
}
