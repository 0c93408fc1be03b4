/**
 * The policy language, in its normalized form: what `validatePolicyDocument` returns and what
 * `compilePolicies` consumes. The authoring form accepted by the validator is a superset (single
 * values for lists, string shorthands for actions); see README.md.
 */
import type { AnomalyReasonCode } from '../anomaly/score.js';
import type { ApiFamily, ProviderKind } from '../wire/config.js';
import type { DetectorName } from '../pii/types.js';
import type { ReplacementStyle } from '../pii/mapping.js';

/** A JSON scalar, the only kind of operand value tests compare against. */
export type Scalar = string | number | boolean | null;

/**
 * A test of one value: every operator given must hold. A value that is absent satisfies only
 * `exists: false`; every other operator, `neq` included, needs a value.
 */
export interface ValueTest {
  readonly eq?: Scalar;
  readonly neq?: Scalar;
  readonly in?: readonly Scalar[];
  /** Substring of a string, or element of an array. */
  readonly contains?: Scalar;
  readonly regex?: string;
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly exists?: boolean;
}

/** A key label or request header by name, tested as a string. */
export interface NamedValueTest extends ValueTest {
  readonly name: string;
}

/** A value inside a JSON document (key metadata, tool-call arguments), found by a JSON path. */
export interface PathValueTest extends ValueTest {
  /** `$.a.b[0]`, `$["odd key"]`, `$.items[*].id`; a leading `$` is optional. */
  readonly path: string;
}

/** A test of a text: exactly one of `contains`, `regex` or `pii`. */
export type TextTest =
  | { readonly contains: readonly string[]; readonly ignoreCase: boolean }
  | { readonly regex: string; readonly ignoreCase: boolean }
  | { readonly pii: readonly DetectorName[] };

/** Numeric bounds; every bound given must hold. */
export interface NumberTest {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly eq?: number;
}

/** A tool call (in the conversation for request rules, in the answer for response rules). */
export interface ToolCallTest {
  /** Globs on the tool name; absent means any tool. */
  readonly name?: readonly string[];
  /** Tests on the call's arguments, all of which must hold for the same call. */
  readonly args?: readonly PathValueTest[];
}

/**
 * A test of the request's HDP delegation token; every field given must hold. `result` is
 * `absent`, `valid` or a refusal reason; the other fields need a verified token, so without one
 * they do not match.
 */
/** The request's anomaly score as it arrives; every field given must hold. */
export interface AnomalyTest {
  /** Matches a score strictly above this (0–100). */
  readonly scoreAbove?: number;
  /** Matches when any of the score's reasons has one of these codes. */
  readonly reasons?: readonly AnomalyReasonCode[];
}

export interface ProvenanceTest {
  readonly result?: readonly string[];
  /** Globs on the principal's id. */
  readonly principalId?: readonly string[];
  /** `email`, `uuid`, `did`, `poh` or `opaque`. */
  readonly principalType?: readonly string[];
  /** Substrings of the scope's intent, any of which matches (case-insensitive). */
  readonly intentContains?: readonly string[];
  /** `public`, `internal`, `confidential` or `restricted`. */
  readonly classification?: readonly string[];
  readonly hopCount?: NumberTest;
  /** Globs on the chain's agent ids; matches when any hop's agent matches. */
  readonly agentIds?: readonly string[];
}

/** Three-letter weekday names, Monday first. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A local time window; `between` wraps past midnight when the start is later than the end. */
export interface TimeOfDayTest {
  /** `HH:MM` start (inclusive) and end (exclusive); `24:00` is allowed as an end. */
  readonly between?: readonly [string, string];
  /** IANA time zone; defaults to the zone given with the policy at compile time, else UTC. */
  readonly timeZone?: string;
  readonly weekdays?: readonly Weekday[];
}

/** A condition tree. Each leaf object has exactly one key naming what it tests. */
export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | { readonly provider: readonly ProviderKind[] }
  | { readonly api: readonly ApiFamily[] }
  | { readonly endpoint: readonly string[] }
  | { readonly model: readonly string[] }
  | { readonly keyLabel: NamedValueTest }
  | { readonly keyMetadata: PathValueTest }
  | { readonly header: NamedValueTest }
  | { readonly prompt: TextTest }
  | { readonly system: TextTest }
  | { readonly completion: TextTest }
  | { readonly toolOffered: readonly string[] }
  | { readonly toolCall: ToolCallTest }
  | { readonly inputTokens: NumberTest }
  | { readonly maxOutputTokens: NumberTest }
  | { readonly costMicros: NumberTest }
  | { readonly timeOfDay: TimeOfDayTest }
  | { readonly provenance: ProvenanceTest }
  /** Tool rules only: globs on the MCP server's name. */
  | { readonly mcpServer: readonly string[] }
  /** Tool rules only: globs on the called tool's name. */
  | { readonly tool: readonly string[] }
  /** Tool rules only: a text test of the call's arguments (every string value, one per line). */
  | { readonly toolArguments: TextTest }
  /** `tool_result` rules only: a text test of what the tool returned (its text content). */
  | { readonly toolResult: TextTest }
  | { readonly anomaly: AnomalyTest };

/** A custom redaction pattern; its name becomes the placeholder label (`[EMPLOYEE_ID_1]`). */
export interface RedactionPattern {
  readonly name: string;
  readonly regex: string;
  readonly ignoreCase: boolean;
}

/** What a matching rule does. */
export type RuleAction =
  | { readonly type: 'allow' }
  | { readonly type: 'block'; readonly status: number; readonly message: string }
  | {
      readonly type: 'redact';
      readonly detectors: readonly DetectorName[];
      readonly patterns: readonly RedactionPattern[];
      readonly replacement: ReplacementStyle;
      readonly restore: boolean;
    }
  | { readonly type: 'hold'; readonly timeoutSeconds: number; readonly onTimeout: 'allow' | 'block' }
  | { readonly type: 'log'; readonly tags: readonly string[] };

/** Every action type. */
export type ActionType = RuleAction['type'];

/**
 * Which side of the exchange a rule inspects: a model call (`request`) or its answer
 * (`response`), an agent's MCP tool call before it reaches the server (`tool_call`) or what the
 * tool returned before it reaches the agent (`tool_result`).
 */
export type RulePhase = 'request' | 'response' | 'tool_call' | 'tool_result';

/** Every rule phase, in evaluation order. */
export const RULE_PHASES = ['request', 'response', 'tool_call', 'tool_result'] as const satisfies readonly RulePhase[];

/** One rule of a policy. */
export interface PolicyRule {
  /** Unique within the policy: lower-case letters, digits, `-` and `_`. */
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly on: RulePhase;
  /** Absent: the rule always matches. */
  readonly when?: Condition;
  readonly action: RuleAction;
  /** Evaluated and reported, never enforced. */
  readonly shadow: boolean;
}

/** A validated policy document. */
export interface PolicyDocument {
  readonly name: string;
  readonly description?: string;
  /** When true, every rule is in shadow mode. */
  readonly shadow: boolean;
  readonly rules: readonly PolicyRule[];
}

/** Where a policy is attached; evaluation order is organization, then team, then key. */
export type PolicyScope = 'org' | 'team' | 'key';

/** A policy as stored by the control plane, ready to compile. */
export interface PolicyDocumentWithMeta {
  readonly id: string;
  readonly version: number;
  readonly scope: PolicyScope;
  /** A `PolicyDocument`, or any value: `compilePolicies` validates it again. */
  readonly document: PolicyDocument | unknown;
  /** Time zone for `timeOfDay` conditions that name none (the organization's). */
  readonly defaultTimeZone?: string;
}

/** What validation reports: the JSON path, the rule when inside one, and a full sentence. */
export interface PolicyError {
  /** Path from the document root, e.g. `rules[1].when.all[1].prompt.regex` (empty for the root). */
  readonly path: string;
  /** The rule the error is in: its position (0-based) and id when it has a usable one. */
  readonly rule?: { readonly index: number; readonly id?: string };
  /** e.g. `rule "block-secrets" (#2): "when.all[1].prompt.regex" is not a valid regular expression: …` */
  readonly message: string;
}

/** Outcome of validation: the normalized policy, or every error found. */
export type PolicyValidationResult = { readonly ok: true; readonly policy: PolicyDocument } | { readonly ok: false; readonly errors: readonly PolicyError[] };
