export {
  DETECTOR_GROUPS,
  DETECTOR_NAMES,
  expandDetectorRefs,
  isDetectorGroup,
  isDetectorName,
  type DetectorGroup,
  type DetectorName,
  type DetectorRef,
  type Finding,
} from './types.js';
export { containsPii, detectPii, findingLabel, resolveOverlaps } from './detect.js';
export { luhnValid } from './detectors/payment-card.js';
export { ibanChecksumValid } from './detectors/iban.js';
export { MASK, RedactionMapping, type RedactionMappingOptions, type ReplacementStyle } from './mapping.js';
export { redactText, replaceFindings, type FindingTreatment, type RedactionResult } from './redact.js';
export { createRestoreStream, restoreText, type RestoreStream, type RestoreStreamOptions } from './restore-stream.js';
