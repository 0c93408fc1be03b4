import { DETECTORS } from '../pii/detectors/index.js';
import { RedactionMapping, type RedactionMappingOptions, type ReplacementStyle } from '../pii/mapping.js';
import { replaceFindings, type FindingTreatment } from '../pii/redact.js';
import type { Finding } from '../pii/types.js';
import type { RedactionSpec } from './decision.js';
import { compileSafeRegex, type SafeRegex } from './safe-regex.js';

/** Applies a decision's redactions to the texts of one request. */
export interface Redactor {
  /**
   * Returns `text` with every finding replaced. Call it for each text of the request (messages,
   * system prompt) in order: one mapping spans them, so a value keeps its placeholder.
   */
  redact(text: string): string;
  /** The replacements made so far; hand it to `createRestoreStream` when `restores` is true. */
  readonly mapping: RedactionMapping;
  /** Whether some redaction asked for originals to be restored in the response. */
  readonly restores: boolean;
}

/** Strength of each style: when two redactions cover the same detector, the stronger wins. */
const STRENGTH: Readonly<Record<ReplacementStyle, number>> = { placeholder: 0, hash: 1, mask: 2 };

interface Pattern {
  readonly detector: `custom:${string}`;
  readonly regex: SafeRegex;
}

const patternCache = new Map<string, SafeRegex>();
const PATTERN_CACHE_LIMIT = 1000;

/** Compiles a custom pattern for scanning, memoized across requests. */
function scanningRegex(source: string, ignoreCase: boolean): SafeRegex {
  const key = `${ignoreCase ? 'i' : '-'}${source}`;
  let re = patternCache.get(key);
  if (re === undefined) {
    const checked = compileSafeRegex(source, ignoreCase);
    if (!checked.ok) throw new Error(`redaction pattern ${JSON.stringify(source)} ${checked.reason}`);
    re = checked.regex;
    if (patternCache.size >= PATTERN_CACHE_LIMIT) patternCache.clear();
    patternCache.set(key, re);
  }
  return re;
}

/** Merges one more request for a detector or pattern into its treatment. */
function merge(treatments: Map<string, FindingTreatment>, key: string, style: ReplacementStyle, restore: boolean): void {
  const current = treatments.get(key);
  const strongest = current === undefined || STRENGTH[style] > STRENGTH[current.style] ? style : current.style;
  treatments.set(key, { style: strongest, restore: strongest !== 'mask' && restore && (current?.restore ?? true) });
}

/**
 * Builds a redactor from a decision's `redact` list. When several redactions cover the same
 * detector (or custom pattern name), the strongest style wins (mask > hash > placeholder) and
 * originals are restored only if every one of them asked for it.
 */
export function createRedactor(specs: readonly RedactionSpec[], options: RedactionMappingOptions = {}): Redactor {
  const treatments = new Map<string, FindingTreatment>();
  const patterns: Pattern[] = [];
  for (const spec of specs) {
    for (const d of spec.detectors) merge(treatments, d, spec.replacement, spec.restore);
    for (const p of spec.patterns) {
      const detector = `custom:${p.name}` as const;
      merge(treatments, detector, spec.replacement, spec.restore);
      patterns.push({ detector, regex: scanningRegex(p.regex, p.ignoreCase) });
    }
  }
  const detectors = [...treatments.keys()].filter((k) => !k.startsWith('custom:')).map((k) => DETECTORS[k as keyof typeof DETECTORS]);
  const mapping = new RedactionMapping(options);
  const treat = (f: Finding) => treatments.get(f.detector)!;
  const restores = [...treatments.values()].some((t) => t.restore);
  return {
    mapping,
    restores,
    redact(text: string): string {
      const findings: Finding[] = [];
      for (const d of detectors) d.scan(text, findings, Number.POSITIVE_INFINITY);
      for (const p of patterns) {
        for (const m of p.regex.matchAll(text)) {
          if (m.index !== undefined && m[0].length > 0) findings.push({ detector: p.detector, start: m.index, end: m.index + m[0].length, value: m[0] });
        }
      }
      return replaceFindings(text, findings, treat, mapping);
    },
  };
}
