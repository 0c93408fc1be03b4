export type {
  ActionType,
  Condition,
  NamedValueTest,
  NumberTest,
  PathValueTest,
  PolicyDocument,
  PolicyDocumentWithMeta,
  PolicyError,
  PolicyRule,
  PolicyScope,
  PolicyValidationResult,
  ProvenanceTest,
  AnomalyTest,
  RedactionPattern,
  RuleAction,
  RulePhase,
  Scalar,
  TextTest,
  TimeOfDayTest,
  ToolCallTest,
  ValueTest,
  Weekday,
} from './types.js';
export type {
  AnomalyFacts,
  NormalizedMessage,
  ProvenanceFacts,
  RequestContext,
  ResponseContext,
  ToolCall,
  ToolCallContext,
  ToolResultContext,
} from './context.js';
export {
  ACTION_RANK,
  mergeHolds,
  type BlockOutcome,
  type HoldOutcome,
  type PolicyDecision,
  type PolicyMatch,
  type RedactionSpec,
  type ShadowOutcome,
  type TerminalAction,
} from './decision.js';
export { DEFAULT_BLOCK_MESSAGE, DEFAULT_BLOCK_STATUS, DEFAULT_HOLD_SECONDS, MAX_HOLD_SECONDS, MAX_RULES, validatePolicyDocument } from './validate.js';
export { CONDITION_KEYS, WEEKDAYS } from './validate-condition.js';
export { RULE_PHASES } from './types.js';
export { MAX_POLICY_TEXT, parsePolicyDocument, type PolicyFormat } from './parse.js';
export { compileGlobs } from './glob.js';
export { compileSafeRegex, MAX_REGEX_LENGTH, type SafeRegexResult } from './safe-regex.js';
export { argumentsText, compilePolicies, PolicyCompileError, type CompiledPolicySet, type PolicyNeeds } from './compile.js';
export { createRedactor, type Redactor } from './redaction.js';
export { testPolicy, type PhaseTestResult, type PolicyTestResult, type RuleTrace, type SampleRequest } from './test-policy.js';
export { POLICY_LANGUAGE, type PolicyLanguageField, type PolicyLanguageObject, type PolicyObjectName } from './language.js';
