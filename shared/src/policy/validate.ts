import { DETECTOR_GROUPS, DETECTOR_NAMES, expandDetectorRefs, type DetectorName, type DetectorRef } from '../pii/types.js';
import { Checker, describe, isRecord, readBoolean, readEnum, readNumber, readOneOrMany, readString, type Path } from './checker.js';
import { isToolPhase, readCondition, readRegex } from './validate-condition.js';
import { RULE_PHASES, type PolicyRule, type PolicyValidationResult, type RedactionPattern, type RuleAction, type RulePhase } from './types.js';

/** Most rules a policy may have. */
export const MAX_RULES = 200;

/** Default status and messages of `block`. */
export const DEFAULT_BLOCK_STATUS = 403;
export const DEFAULT_BLOCK_MESSAGE: Readonly<Record<RulePhase, string>> = {
  request: 'This request was blocked by a Keyward policy.',
  response: 'The response was blocked by a Keyward policy.',
  tool_call: 'This tool call was blocked by a Keyward policy.',
  tool_result: "The tool's result was blocked by a Keyward policy.",
};
/**
 * Defaults of `hold`. The default timeout is what a client that does not stream can wait for:
 * Node's HTTP client (undici, under `fetch` and the official SDKs) gives up on response headers
 * after 300 s, and a held request still has its provider's answer to wait for after the hold.
 * Longer holds are for streamed requests (kept alive with SSE comments); data-plane nodes end
 * the hold of a request that is not streamed earlier (`KEYWARD_UNSTREAMED_HOLD_SECONDS`).
 */
export const DEFAULT_HOLD_SECONDS = 240;
export const MAX_HOLD_SECONDS = 86_400;

const RULE_ID = { maxLength: 64, pattern: /^[a-z0-9][a-z0-9_-]*$/, patternText: 'lower-case letters, digits, "-" and "_"' };
const TAG = { maxLength: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9:_./-]*$/, patternText: 'letters, digits and ":_./-"' };
const PATTERN_NAME = {
  maxLength: 32,
  pattern: /^[A-Z][A-Z0-9_]*$/,
  patternText: 'upper-case letters, digits and "_" (it becomes the placeholder label)',
};
const ACTION_TYPES = ['allow', 'block', 'redact', 'hold', 'log'] as const;
const RESPONSE_ACTIONS = ['allow', 'block', 'hold', 'log'] as const;
/** A tool's result is blocked or rewritten, never held: the call already ran. */
const TOOL_RESULT_ACTIONS = ['allow', 'block', 'redact', 'log'] as const;
const PHASE_ACTIONS: Readonly<Record<RulePhase, readonly (typeof ACTION_TYPES)[number][]>> = {
  request: ACTION_TYPES,
  response: RESPONSE_ACTIONS,
  tool_call: ACTION_TYPES,
  tool_result: TOOL_RESULT_ACTIONS,
};
const ACTION_KEYS: Readonly<Record<(typeof ACTION_TYPES)[number], readonly string[]>> = {
  allow: ['type'],
  block: ['type', 'status', 'message'],
  redact: ['type', 'detectors', 'patterns', 'replacement', 'restore'],
  hold: ['type', 'timeoutSeconds', 'onTimeout'],
  log: ['type', 'tags'],
};
const DETECTOR_REFS: readonly string[] = [...DETECTOR_NAMES, ...Object.keys(DETECTOR_GROUPS)];

function readPattern(c: Checker, v: unknown, path: Path): RedactionPattern | undefined {
  if (!isRecord(v)) {
    c.fail(path, `must be an object such as { "name": "EMPLOYEE_ID", "regex": "E\\\\d{6}" }, not ${describe(v)}`);
    return undefined;
  }
  if (!c.knownKeys(v, path, ['name', 'regex', 'ignoreCase'])) return undefined;
  const name = v.name === undefined ? (c.fail(path, 'must have a "name"'), undefined) : readString(c, v.name, [...path, 'name'], PATTERN_NAME);
  const ignoreCase = readBoolean(c, v.ignoreCase, [...path, 'ignoreCase'], false);
  const regex = v.regex === undefined ? (c.fail(path, 'must have a "regex"'), undefined) : readRegex(c, v.regex, [...path, 'regex'], ignoreCase);
  return name === undefined || regex === undefined ? undefined : { name, regex, ignoreCase };
}

function readRedact(c: Checker, v: Record<string, unknown>, path: Path): RuleAction | undefined {
  let ok = true;
  let detectors: DetectorName[] = [];
  // Empty lists are allowed (a normalized action has both) as long as one of them is not.
  if (v.detectors !== undefined && !(Array.isArray(v.detectors) && v.detectors.length === 0)) {
    const refs = readOneOrMany(c, v.detectors, [...path, 'detectors'], 64, (item, p) => readEnum(c, item, p, DETECTOR_REFS));
    if (refs === undefined) ok = false;
    else detectors = expandDetectorRefs(refs as DetectorRef[]);
  }
  let patterns: RedactionPattern[] = [];
  if (v.patterns !== undefined && !(Array.isArray(v.patterns) && v.patterns.length === 0)) {
    const read = readOneOrMany(c, v.patterns, [...path, 'patterns'], 32, (item, p) => readPattern(c, item, p));
    if (read === undefined) ok = false;
    else {
      patterns = read;
      const seen = new Set<string>();
      read.forEach((p, i) => {
        if (seen.has(p.name)) {
          c.fail([...path, 'patterns', i, 'name'], `repeats the pattern name "${p.name}"`);
          ok = false;
        }
        seen.add(p.name);
      });
    }
  }
  if (ok && detectors.length === 0 && patterns.length === 0) {
    c.fail(path, 'must list "detectors", "patterns" or both: there is nothing to redact');
    ok = false;
  }
  const replacement =
    v.replacement === undefined ? 'placeholder' : readEnum(c, v.replacement, [...path, 'replacement'], ['placeholder', 'mask', 'hash'] as const);
  const restore = readBoolean(c, v.restore, [...path, 'restore'], false);
  if (replacement === undefined) return undefined;
  if (restore && replacement === 'mask') {
    c.fail([...path, 'restore'], 'needs "replacement": "placeholder" or "hash": masked values cannot be told apart, so they cannot be put back');
    return undefined;
  }
  return ok ? { type: 'redact', detectors, patterns, replacement, restore } : undefined;
}

function readAction(c: Checker, v: unknown, path: Path, phase: RulePhase): RuleAction | undefined {
  const allowed = PHASE_ACTIONS[phase];
  let obj: Record<string, unknown>;
  if (typeof v === 'string') obj = { type: v };
  else if (isRecord(v)) obj = v;
  else {
    c.fail(path, `must be an action such as "allow" or { "type": "block", "message": "…" }, not ${describe(v)}`);
    return undefined;
  }
  const typePath = typeof v === 'string' ? path : [...path, 'type'];
  if (obj.type === 'redact' && phase === 'response') {
    c.fail(typePath, 'cannot be "redact" on a response rule: the answer is inspected, not rewritten (use block, hold or log)');
    return undefined;
  }
  if (obj.type === 'hold' && phase === 'tool_result') {
    c.fail(typePath, 'cannot be "hold" on a tool_result rule: the tool already ran (hold the call with a tool_call rule, or block or redact its result)');
    return undefined;
  }
  const type = readEnum(c, obj.type, typePath, allowed);
  if (type === undefined) return undefined;
  if (!c.knownKeys(obj, path, ACTION_KEYS[type], `field of a "${type}" action`)) return undefined;
  switch (type) {
    case 'allow':
      return { type };
    case 'block': {
      const status = obj.status === undefined ? DEFAULT_BLOCK_STATUS : readNumber(c, obj.status, [...path, 'status'], { integer: true, min: 400, max: 599 });
      const message = obj.message === undefined ? DEFAULT_BLOCK_MESSAGE[phase] : readString(c, obj.message, [...path, 'message'], { maxLength: 1000 });
      return status === undefined || message === undefined ? undefined : { type, status, message };
    }
    case 'redact': {
      const action = readRedact(c, obj, path);
      if (action?.type === 'redact' && action.restore && isToolPhase(phase)) {
        c.fail([...path, 'restore'], `cannot be true on a ${phase} rule: MCP tool calls and results are rewritten for good`);
        return undefined;
      }
      return action;
    }
    case 'hold': {
      const timeoutSeconds =
        obj.timeoutSeconds === undefined
          ? DEFAULT_HOLD_SECONDS
          : readNumber(c, obj.timeoutSeconds, [...path, 'timeoutSeconds'], { integer: true, min: 1, max: MAX_HOLD_SECONDS });
      const onTimeout = obj.onTimeout === undefined ? 'block' : readEnum(c, obj.onTimeout, [...path, 'onTimeout'], ['allow', 'block'] as const);
      return timeoutSeconds === undefined || onTimeout === undefined ? undefined : { type, timeoutSeconds, onTimeout };
    }
    case 'log': {
      // An empty list is what normalization writes for a tag-less log, so it must validate again.
      if (obj.tags === undefined || (Array.isArray(obj.tags) && obj.tags.length === 0)) return { type, tags: [] };
      const tags = readOneOrMany(c, obj.tags, [...path, 'tags'], 32, (item, p) => readString(c, item, p, TAG));
      return tags === undefined ? undefined : { type, tags: [...new Set(tags)] };
    }
  }
}

function readRule(c: Checker, v: unknown, index: number, usedIds: Map<string, number>): PolicyRule | undefined {
  const path: Path = ['rules', index];
  if (!isRecord(v)) {
    c.enterRule({ index }, path);
    c.fail(path, `must be an object with "id", "when" and "action", not ${describe(v)}`);
    c.leaveRule();
    return undefined;
  }
  // Name the rule in its own errors as soon as it has a usable id.
  const idCandidate = typeof v.id === 'string' && RULE_ID.pattern.test(v.id) && v.id.length <= RULE_ID.maxLength ? v.id : undefined;
  c.enterRule(idCandidate === undefined ? { index } : { index, id: idCandidate }, path);
  try {
    c.knownKeys(v, path, ['id', 'name', 'description', 'on', 'when', 'action', 'shadow']);
    let ok = true;
    const id = v.id === undefined ? (c.fail(path, 'must have an "id"'), undefined) : readString(c, v.id, [...path, 'id'], RULE_ID);
    if (id !== undefined) {
      const previous = usedIds.get(id);
      if (previous !== undefined) {
        c.fail([...path, 'id'], `repeats the id of rule #${previous + 1}; rule ids must be unique within a policy`);
        ok = false;
      } else usedIds.set(id, index);
    }
    const name = v.name === undefined ? undefined : readString(c, v.name, [...path, 'name'], { maxLength: 200 });
    const description = v.description === undefined ? undefined : readString(c, v.description, [...path, 'description'], { maxLength: 2000 });
    const on = v.on === undefined ? 'request' : readEnum(c, v.on, [...path, 'on'], RULE_PHASES);
    const shadow = readBoolean(c, v.shadow, [...path, 'shadow'], false);
    const when = v.when === undefined || on === undefined ? undefined : readCondition(c, v.when, [...path, 'when'], on);
    const action =
      v.action === undefined
        ? (c.fail(path, 'must have an "action"'), undefined)
        : on === undefined
          ? undefined
          : readAction(c, v.action, [...path, 'action'], on);
    if (
      !ok ||
      id === undefined ||
      on === undefined ||
      action === undefined ||
      (v.when !== undefined && when === undefined) ||
      (v.name !== undefined && name === undefined) ||
      (v.description !== undefined && description === undefined)
    ) {
      return undefined;
    }
    return {
      id,
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
      on,
      ...(when === undefined ? {} : { when }),
      action,
      shadow,
    };
  } finally {
    c.leaveRule();
  }
}

/**
 * Validates a policy document (parsed JSON or YAML) and returns it normalized: defaults filled
 * in, single values turned into lists, detector groups expanded, header names lower-cased. On
 * failure it returns every error, each naming its rule and field. Validating a normalized
 * document gives it back unchanged.
 */
export function validatePolicyDocument(val: unknown): PolicyValidationResult {
  const c = new Checker();
  if (!isRecord(val)) {
    c.fail([], `must be an object with "name" and "rules", not ${describe(val)}`);
    return { ok: false, errors: c.errors };
  }
  c.knownKeys(val, [], ['name', 'description', 'shadow', 'rules']);
  const name = val.name === undefined ? (c.fail([], 'must have a "name"'), undefined) : readString(c, val.name, ['name'], { maxLength: 200 });
  const description = val.description === undefined ? undefined : readString(c, val.description, ['description'], { maxLength: 2000 });
  const shadow = readBoolean(c, val.shadow, ['shadow'], false);
  const rules: PolicyRule[] = [];
  if (val.rules === undefined) c.fail([], 'must have "rules" (a list, possibly empty)');
  else if (!Array.isArray(val.rules)) c.fail(['rules'], `must be a list of rules, not ${describe(val.rules)}`);
  else if (val.rules.length > MAX_RULES) c.fail(['rules'], `must have at most ${MAX_RULES} rules (it has ${val.rules.length})`);
  else {
    const usedIds = new Map<string, number>();
    val.rules.forEach((rule, i) => {
      const read = readRule(c, rule, i, usedIds);
      if (read !== undefined) rules.push(read);
    });
  }
  if (c.errors.length > 0 || name === undefined) return { ok: false, errors: c.errors };
  return {
    ok: true,
    policy: { name, ...(description === undefined ? {} : { description }), shadow, rules },
  };
}
