import type { PolicyMatch, PolicyMatchRecord } from '@keyward/shared';
import type { PolicyTrail } from '../steps/contract.js';

/** Adds a phase's matched rules to the request's trail, each rule once per phase. */
export function recordMatches(trail: PolicyTrail, matches: readonly PolicyMatch[], phase: PolicyMatchRecord['phase']): void {
  for (const m of matches) {
    const known = trail.matches.some((r) => r.policyId === m.policyId && r.ruleId === m.ruleId && r.phase === phase);
    if (known) continue;
    trail.matches.push({ policyId: m.policyId, policyVersion: m.policyVersion, ruleId: m.ruleId, action: m.action, phase, shadow: m.shadow });
  }
}

/** Adds tags that are not there yet, in order. */
export function addTags(tags: string[], more: readonly string[]): void {
  for (const tag of more) if (!tags.includes(tag)) tags.push(tag);
}
