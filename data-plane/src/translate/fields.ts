import { isObject } from '../providers/codec/walk.js';
import { untranslatable } from './contract.js';

/** How a target treats one top-level request field: carried by the pair's own mapping, ignored, or refused when `refuses` says so. */
export interface FieldRule {
  /** The feature's name in the 400 the agent gets. */
  readonly feature: string;
  /** True when this value cannot be carried; absent means the field is always carried (or harmlessly ignored). */
  readonly refuses?: (value: unknown) => boolean;
}

/** Predicates for `refuses`. */
export const isTrue = (value: unknown) => value === true;
export const present = (value: unknown) => value !== null && value !== undefined;
export const nonZero = (value: unknown) => typeof value === 'number' && value !== 0;
export const nonEmptyObject = (value: unknown) => isObject(value) && Object.keys(value).length > 0;

/** Refuses the first field of `body` the target cannot carry: one `rules` does not know, or whose rule refuses its value. */
export function checkFields(body: Record<string, unknown>, rules: Readonly<Record<string, FieldRule>>, target: string): void {
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    const rule = Object.hasOwn(rules, name) ? rules[name] : undefined;
    if (!rule) throw untranslatable(`The request field "${name}"`, target);
    if (rule.refuses?.(value)) throw untranslatable(rule.feature, target);
  }
}
