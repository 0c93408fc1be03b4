import type { DetectorName } from '../pii/types.js';
import type { ReplacementStyle } from '../pii/mapping.js';
import type { ActionType, RedactionPattern } from './types.js';

/** What the agent receives when blocked. */
export interface BlockOutcome {
  readonly status: number;
  readonly message: string;
}

/** How long a held request waits for approval, and what happens when nobody answers. */
export interface HoldOutcome {
  readonly timeoutSeconds: number;
  readonly onTimeout: 'allow' | 'block';
}

/** One redact action to apply before forwarding, with the rule it came from. */
export interface RedactionSpec {
  readonly policyId: string;
  readonly ruleId: string;
  readonly detectors: readonly DetectorName[];
  readonly patterns: readonly RedactionPattern[];
  readonly replacement: ReplacementStyle;
  readonly restore: boolean;
}

/** A rule that matched. */
export interface PolicyMatch {
  readonly policyId: string;
  readonly policyVersion: number;
  readonly ruleId: string;
  readonly action: ActionType;
  /** True when the rule or its policy is in shadow mode: reported, not enforced. */
  readonly shadow: boolean;
}

/** The terminal part of a decision. */
export type TerminalAction = 'allow' | 'block' | 'hold';

/** What would have happened had shadow rules and policies been enforced. */
export interface ShadowOutcome {
  readonly action: TerminalAction;
  readonly block?: BlockOutcome;
  readonly hold?: HoldOutcome;
}

/** The combined decision of every policy in a compiled set. */
export interface PolicyDecision {
  readonly action: TerminalAction;
  /** Present when `action` is `block`. */
  readonly block?: BlockOutcome;
  /** Present when `action` is `hold`. */
  readonly hold?: HoldOutcome;
  /** Redactions to apply if the request goes upstream (after approval, for a hold). */
  readonly redact: readonly RedactionSpec[];
  /** Tags of matching `log` rules, distinct, in evaluation order. */
  readonly tags: readonly string[];
  /** Every matching rule, enforced and shadow, in evaluation order. */
  readonly matches: readonly PolicyMatch[];
  /** Null unless a shadow rule matched. */
  readonly shadow: ShadowOutcome | null;
}

/** Restrictiveness of terminal actions: the highest wins across policies. */
export const ACTION_RANK: Readonly<Record<TerminalAction, number>> = { allow: 0, hold: 1, block: 2 };

/**
 * Merges two holds into the one the request waits for. Block-on-timeout wins over
 * allow-on-timeout. Among holds that block on timeout the shortest timeout wins (it blocks
 * soonest); among holds that allow on timeout the longest wins (it allows latest).
 */
export function mergeHolds(a: HoldOutcome, b: HoldOutcome): HoldOutcome {
  if (a.onTimeout !== b.onTimeout) return a.onTimeout === 'block' ? a : b;
  if (a.onTimeout === 'block') return b.timeoutSeconds < a.timeoutSeconds ? b : a;
  return b.timeoutSeconds > a.timeoutSeconds ? b : a;
}
