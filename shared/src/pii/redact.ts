import { findingLabel, resolveOverlaps } from './detect.js';
import { RedactionMapping, type ReplacementStyle } from './mapping.js';
import type { Finding } from './types.js';

/** How one finding is replaced. */
export interface FindingTreatment {
  readonly style: ReplacementStyle;
  /** Whether the original may be put back in the response. */
  readonly restore: boolean;
}

/** Result of `redactText`. */
export interface RedactionResult {
  readonly text: string;
  /** Pass the same mapping to the next text of the request to keep placeholders stable. */
  readonly mapping: RedactionMapping;
}

/**
 * Replaces findings in `text`, choosing each one's treatment with `treat`. Findings may be in any
 * order and may overlap (overlaps are resolved as in `detectPii`).
 */
export function replaceFindings(text: string, findings: readonly Finding[], treat: (finding: Finding) => FindingTreatment, mapping: RedactionMapping): string {
  if (findings.length === 0) return text;
  const ordered = resolveOverlaps(findings.slice());
  let out = '';
  let cursor = 0;
  for (const f of ordered) {
    if (f.start < cursor || f.end > text.length || text.slice(f.start, f.end) !== f.value) {
      throw new RangeError(`finding ${f.detector} at ${f.start}-${f.end} does not match the text`);
    }
    const { style, restore } = treat(f);
    out += text.slice(cursor, f.start) + mapping.replacementFor(findingLabel(f.detector), f.value, style, restore, text);
    cursor = f.end;
  }
  return out + text.slice(cursor);
}

/**
 * Replaces every finding in `text` with the given style: `placeholder` gives `[EMAIL_1]` (one
 * number per distinct value), `hash` gives `[EMAIL_<12 hex>]`, `mask` gives `****`. With
 * `restore`, the mapping remembers the originals for `createRestoreStream`. Reuse `mapping`
 * across the texts of one request so the same value keeps the same placeholder.
 */
export function redactText(
  text: string,
  findings: readonly Finding[],
  style: ReplacementStyle,
  mapping: RedactionMapping = new RedactionMapping(),
  restore = style !== 'mask',
): RedactionResult {
  const treatment: FindingTreatment = { style, restore: restore && style !== 'mask' };
  return { text: replaceFindings(text, findings, () => treatment, mapping), mapping };
}
