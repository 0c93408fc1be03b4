import { DETECTORS } from './detectors/index.js';
import { DETECTOR_NAMES, expandDetectorRefs, type DetectorName, type DetectorRef, type Finding } from './types.js';

const PRIORITY: ReadonlyMap<string, number> = new Map(DETECTOR_NAMES.map((name, i) => [name, i]));

/**
 * Sorts findings and drops those that overlap an earlier one. Earlier start wins, then the
 * longer span, then the detector listed first in `DETECTOR_NAMES` (custom patterns last), so
 * the outcome never depends on the order detectors ran in.
 */
export function resolveOverlaps(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  findings.sort(
    (a, b) =>
      a.start - b.start ||
      b.end - a.end ||
      (PRIORITY.get(a.detector) ?? DETECTOR_NAMES.length) - (PRIORITY.get(b.detector) ?? DETECTOR_NAMES.length) ||
      (a.detector < b.detector ? -1 : a.detector > b.detector ? 1 : 0),
  );
  const kept: Finding[] = [];
  let lastEnd = -1;
  for (const f of findings) {
    if (f.start >= lastEnd) {
      kept.push(f);
      lastEnd = f.end;
    }
  }
  return kept;
}

/**
 * Runs detectors over `text` (all of them by default; names and groups such as `credentials`
 * are accepted) and returns non-overlapping findings in text order.
 */
export function detectPii(text: string, detectors?: readonly DetectorRef[]): Finding[] {
  const names: readonly DetectorName[] = detectors === undefined ? DETECTOR_NAMES : expandDetectorRefs(detectors);
  const findings: Finding[] = [];
  for (const name of names) DETECTORS[name].scan(text, findings, Number.POSITIVE_INFINITY);
  return resolveOverlaps(findings);
}

/** True when `detector` finds anything in `text`; stops at the first finding. */
export function containsPii(text: string, detector: DetectorName): boolean {
  const found: Finding[] = [];
  DETECTORS[detector].scan(text, found, 1);
  return found.length > 0;
}

/** The placeholder label of a detector (`EMAIL`) or custom pattern (`custom:EMPLOYEE_ID` → `EMPLOYEE_ID`). */
export function findingLabel(detector: Finding['detector']): string {
  return detector.startsWith('custom:') ? detector.slice(7) : DETECTORS[detector as DetectorName].label;
}
