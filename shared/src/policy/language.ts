import { ANOMALY_REASON_CODES } from '../anomaly/score.js';
import { DETECTOR_GROUPS, DETECTOR_NAMES } from '../pii/types.js';
import { PROVENANCE_REASONS } from '../provenance/reasons.js';
import { HDP_DATA_CLASSIFICATIONS, HDP_PRINCIPAL_ID_TYPES } from '../provenance/token.js';
import { API_FAMILIES, PROVIDER_KINDS } from '../wire/config.js';
import { RULE_PHASES } from './types.js';
import { CONDITION_KEYS, WEEKDAYS } from './validate-condition.js';

/**
 * The policy language described for people and editors: every object a policy document holds
 * (the document, a rule, a condition, an action and each test), its fields with what they mean,
 * the values a field takes when it takes a fixed set, and the object a field holds. The console's
 * editor completes and explains from it; `language.test.ts` checks it against the validator, so
 * it names exactly the fields `validatePolicyDocument` accepts.
 */
export interface PolicyLanguageField {
  readonly name: string;
  readonly doc: string;
  /** The values the field takes, when they are a fixed set (a single value or a list of them). */
  readonly values?: readonly string[];
  /** The object the field holds (or, with `list`, each item of its list holds). */
  readonly object?: PolicyObjectName;
  /** The field holds a list (of `object`s when one is named). */
  readonly list?: boolean;
}

export interface PolicyLanguageObject {
  readonly name: PolicyObjectName;
  readonly doc: string;
  readonly fields: readonly PolicyLanguageField[];
}

export type PolicyObjectName =
  | 'document'
  | 'rule'
  | 'condition'
  | 'action'
  | 'pattern'
  | 'textTest'
  | 'numberTest'
  | 'headerTest'
  | 'keyLabelTest'
  | 'keyMetadataTest'
  | 'toolCallTest'
  | 'toolArgumentTest'
  | 'timeOfDay'
  | 'provenance'
  | 'anomaly';

const DETECTORS: readonly string[] = [...DETECTOR_NAMES, ...Object.keys(DETECTOR_GROUPS)];
const GLOB = 'Names may use `*` as a wildcard; one name or a list.';

const VALUE_OPERATORS: readonly PolicyLanguageField[] = [
  { name: 'eq', doc: 'Equal to this value.' },
  { name: 'neq', doc: 'Not equal to this value.' },
  { name: 'in', doc: 'One of these values.', list: true },
  { name: 'contains', doc: 'A text containing this text, or a list containing this value.' },
  { name: 'regex', doc: 'A text matching this regular expression (linear-time patterns only).' },
  { name: 'gt', doc: 'A number greater than this.' },
  { name: 'gte', doc: 'A number greater than or equal to this.' },
  { name: 'lt', doc: 'A number less than this.' },
  { name: 'lte', doc: 'A number less than or equal to this.' },
  { name: 'exists', doc: '`true`: the value is present; `false`: it is absent.', values: ['true', 'false'] },
];

/** What each condition tests, and the object it holds. */
const CONDITIONS: Readonly<Record<(typeof CONDITION_KEYS)[number], Omit<PolicyLanguageField, 'name'>>> = {
  all: { doc: 'Every condition in the list holds.', object: 'condition', list: true },
  any: { doc: 'At least one condition in the list holds.', object: 'condition', list: true },
  not: { doc: 'The condition does not hold.', object: 'condition' },
  provider: { doc: 'The provider kind of the credential serving the request; one or a list.', values: PROVIDER_KINDS },
  api: { doc: "The API family the agent's client speaks; one or a list.", values: API_FAMILIES },
  endpoint: { doc: `The API path called, such as \`/v1/chat/completions\`. ${GLOB}` },
  model: { doc: `The model asked for, such as \`gpt-4o*\`. ${GLOB}` },
  keyLabel: { doc: 'A label of the calling key (its owner label or a named label), tested by value.', object: 'keyLabelTest' },
  keyMetadata: { doc: "A value in the calling key's metadata, found by a JSON path.", object: 'keyMetadataTest' },
  header: { doc: 'An `x-keyward-*` request header, tested by value.', object: 'headerTest' },
  prompt: { doc: 'The text of the messages sent (user, assistant and tool messages).', object: 'textTest' },
  system: { doc: 'The system prompt.', object: 'textTest' },
  completion: { doc: 'The text of the answer (rules with `on: response` only).', object: 'textTest' },
  toolOffered: { doc: `A tool the request offers the model. ${GLOB}` },
  toolCall: { doc: 'A tool call in the conversation, by name and arguments.', object: 'toolCallTest' },
  inputTokens: { doc: 'The estimated input tokens of the request.', object: 'numberTest' },
  maxOutputTokens: { doc: 'The most output tokens the request allows.', object: 'numberTest' },
  costMicros: { doc: 'The estimated cost of the request, in millionths of a dollar.', object: 'numberTest' },
  timeOfDay: { doc: 'When the request arrives: a window of the day and days of the week, in a time zone.', object: 'timeOfDay' },
  provenance: { doc: 'The human delegation token (HDP) the agent presented.', object: 'provenance' },
  mcpServer: { doc: `The MCP server a tool call goes to (tool rules only). ${GLOB}` },
  tool: { doc: `The MCP tool called (tool rules only). ${GLOB}` },
  toolArguments: { doc: "The MCP tool call's arguments as text (tool rules only).", object: 'textTest' },
  toolResult: { doc: "The MCP tool's result as text (rules with `on: tool_result` only).", object: 'textTest' },
  anomaly: { doc: "The anomaly score of the calling key's recent behaviour.", object: 'anomaly' },
};

/** Every object of the policy language, the document first. */
export const POLICY_LANGUAGE: readonly PolicyLanguageObject[] = [
  {
    name: 'document',
    doc: 'A policy: its name and its rules, checked in order.',
    fields: [
      { name: 'name', doc: 'The policy name shown in the console and in decisions (up to 200 characters).' },
      { name: 'description', doc: 'What the policy is for (up to 2000 characters).' },
      { name: 'shadow', doc: 'Evaluate every rule without enforcing it: matches are recorded, requests pass.', values: ['true', 'false'] },
      {
        name: 'rules',
        doc: 'The rules, checked in order; the first allow, block or hold ends the policy, redact and log rules add up.',
        object: 'rule',
        list: true,
      },
    ],
  },
  {
    name: 'rule',
    doc: 'One rule: when its condition holds, its action applies.',
    fields: [
      { name: 'id', doc: 'A unique id within the policy: lower-case letters, digits, `-` and `_`; decisions name it.' },
      { name: 'name', doc: 'A readable name (up to 200 characters).' },
      { name: 'description', doc: 'Why the rule exists (up to 2000 characters).' },
      {
        name: 'on',
        doc: 'What the rule inspects: the request (default), the response, an MCP tool call or its result.',
        values: RULE_PHASES,
      },
      { name: 'when', doc: 'The condition; without one the rule applies to every request of its phase.', object: 'condition' },
      {
        name: 'action',
        doc: 'What happens when the condition holds: a name (`allow`, `log`…) or an object with options.',
        object: 'action',
        values: ['allow', 'block', 'redact', 'hold', 'log'],
      },
      { name: 'shadow', doc: 'Record matches of this rule without enforcing it.', values: ['true', 'false'] },
    ],
  },
  {
    name: 'condition',
    doc: 'A condition names exactly one test; combine tests with `all`, `any` and `not`.',
    fields: CONDITION_KEYS.map((name) => ({ name, ...CONDITIONS[name] })),
  },
  {
    name: 'action',
    doc: 'What a rule does: `type`, and the options of that type.',
    fields: [
      { name: 'type', doc: 'allow, block, redact (rewrite matches), hold (wait for an approval) or log.', values: ['allow', 'block', 'redact', 'hold', 'log'] },
      { name: 'status', doc: 'block: the HTTP status answered (400–599; default 403).' },
      { name: 'message', doc: 'block: the error message the agent receives.' },
      { name: 'detectors', doc: 'redact: the PII detectors or detector groups whose matches are replaced.', values: DETECTORS, list: true },
      { name: 'patterns', doc: 'redact: named regular expressions whose matches are replaced.', object: 'pattern', list: true },
      { name: 'replacement', doc: 'redact: a labelled placeholder (default), a mask, or a hash.', values: ['placeholder', 'mask', 'hash'] },
      { name: 'restore', doc: 'redact: put the original values back into the answer (placeholder or hash only).', values: ['true', 'false'] },
      { name: 'timeoutSeconds', doc: 'hold: how long to wait for an approver (1–86400; default 240).' },
      { name: 'onTimeout', doc: 'hold: what happens when nobody decides in time (default block).', values: ['allow', 'block'] },
      { name: 'tags', doc: 'log: tags recorded on the request (letters, digits and `:_./-`).', list: true },
    ],
  },
  {
    name: 'pattern',
    doc: 'A named pattern to redact; the name becomes the placeholder label.',
    fields: [
      { name: 'name', doc: 'Upper-case letters, digits and `_`, such as `EMPLOYEE_ID`.' },
      { name: 'regex', doc: 'The regular expression (linear-time patterns only).' },
      { name: 'ignoreCase', doc: 'Match regardless of case.', values: ['true', 'false'] },
    ],
  },
  {
    name: 'textTest',
    doc: 'A test of text: exactly one of `contains`, `regex` or `pii`.',
    fields: [
      { name: 'contains', doc: 'The text contains this text (or one of a list).', list: true },
      { name: 'regex', doc: 'The text matches this regular expression (linear-time patterns only).' },
      { name: 'pii', doc: 'The text holds personal data these detectors find.', values: DETECTORS, list: true },
      { name: 'ignoreCase', doc: 'Compare regardless of case (`contains` and `regex`).', values: ['true', 'false'] },
    ],
  },
  {
    name: 'numberTest',
    doc: 'A comparison of a number; every comparison given must hold.',
    fields: ['gt', 'gte', 'lt', 'lte', 'eq'].map((name) => ({ name, doc: VALUE_OPERATORS.find((op) => op.name === name)!.doc })),
  },
  {
    name: 'headerTest',
    doc: 'A request header by name, tested by value.',
    fields: [{ name: 'name', doc: 'The header name, starting with `x-keyward-` (only those reach policies).' }, ...VALUE_OPERATORS],
  },
  {
    name: 'keyLabelTest',
    doc: 'A label of the calling key by name, tested by value.',
    fields: [{ name: 'name', doc: 'The label name.' }, ...VALUE_OPERATORS],
  },
  {
    name: 'keyMetadataTest',
    doc: "A value of the calling key's metadata, found by a JSON path and tested.",
    fields: [{ name: 'path', doc: 'A JSON path such as `$.env`.' }, ...VALUE_OPERATORS],
  },
  {
    name: 'toolCallTest',
    doc: 'A tool call the model made, by name and arguments.',
    fields: [
      { name: 'name', doc: `The tool name. ${GLOB}`, list: true },
      { name: 'args', doc: 'Tests of the arguments, each by a JSON path.', object: 'toolArgumentTest', list: true },
    ],
  },
  {
    name: 'toolArgumentTest',
    doc: 'An argument of a tool call, found by a JSON path and tested.',
    fields: [{ name: 'path', doc: 'A JSON path such as `$.command`.' }, ...VALUE_OPERATORS],
  },
  {
    name: 'timeOfDay',
    doc: 'When the request arrives; `between`, `weekdays` or both.',
    fields: [
      { name: 'between', doc: 'A pair of times `["09:00", "17:00"]`; the end may be `24:00`; a window may cross midnight.', list: true },
      { name: 'timeZone', doc: 'An IANA time zone such as `Europe/Paris` (default UTC).' },
      { name: 'weekdays', doc: 'The days of the week it applies on.', values: WEEKDAYS, list: true },
    ],
  },
  {
    name: 'provenance',
    doc: 'The human delegation token the agent presented; every field given must hold.',
    fields: [
      {
        name: 'result',
        doc: 'How the token checked: absent, valid, or why it failed.',
        values: ['absent', 'valid', ...Object.keys(PROVENANCE_REASONS)],
        list: true,
      },
      { name: 'principalId', doc: `The person who delegated. ${GLOB}`, list: true },
      { name: 'principalType', doc: "The kind of the principal's id.", values: HDP_PRINCIPAL_ID_TYPES, list: true },
      { name: 'intentContains', doc: 'The stated intent contains this text (or one of a list).', list: true },
      { name: 'classification', doc: 'The data classification the token allows.', values: HDP_DATA_CLASSIFICATIONS, list: true },
      { name: 'hopCount', doc: 'How many agents the delegation passed through.', object: 'numberTest' },
      { name: 'agentIds', doc: `An agent in the delegation chain. ${GLOB}`, list: true },
    ],
  },
  {
    name: 'anomaly',
    doc: "The calling key's anomaly score; `scoreAbove`, `reasons` or both.",
    fields: [
      { name: 'scoreAbove', doc: 'The score is above this whole number (0–99).' },
      { name: 'reasons', doc: 'The score has one of these reasons.', values: ANOMALY_REASON_CODES, list: true },
    ],
  },
];
