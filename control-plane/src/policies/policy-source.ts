import { isDeepStrictEqual } from 'node:util';
import { parsePolicyDocument, type PolicyDocument, type PolicyError, type PolicyFormat } from '@keyward/shared';
import { AppError } from '../errors.js';

/** A policy text that parsed and validated. */
export interface CheckedPolicySource {
  readonly document: PolicyDocument;
  readonly source: string;
  readonly format: PolicyFormat;
}

/** Most errors listed in one answer (a pasted file of garbage can produce thousands). */
const MAX_LISTED_ERRORS = 100;

/**
 * Parses and validates policy text. Without `format`, text starting with `{` is JSON and
 * anything else YAML. An invalid policy is a `BAD_USER_INPUT` whose `extensions.errors` lists
 * every `{ path, rule, message }` the validator found, so the console can show each message
 * beside its rule; the message itself is the first error's sentence.
 */
export function checkPolicySource(source: string, format: PolicyFormat | null | undefined): CheckedPolicySource {
  const syntax: PolicyFormat = format ?? (source.trimStart().startsWith('{') ? 'json' : 'yaml');
  const result = parsePolicyDocument(source, syntax);
  if (!result.ok) throw invalidPolicy(result.errors);
  return { document: result.policy, source, format: syntax };
}

/** The `BAD_USER_INPUT` for a list of policy (or sample) errors. */
export function invalidPolicy(errors: readonly PolicyError[], what = 'The policy is not valid'): AppError {
  const first = errors[0]?.message ?? 'unknown error';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  const listed = errors.slice(0, MAX_LISTED_ERRORS).map((e) => ({
    path: e.path,
    rule: e.rule ? { index: e.rule.index, id: e.rule.id ?? null } : null,
    message: e.message,
  }));
  return new AppError('BAD_USER_INPUT', `${what}: ${first}${more}`, { errors: listed });
}

/**
 * The source of `current` with the document's `shadow` flag set to `shadow`, keeping the
 * author's text where possible. JSON is re-serialized from the author's own object (JSON has no
 * comments to lose). YAML is edited in place: a top-level `shadow:` line gets the new value, or
 * one is inserted before the top-level `rules:` line. The edit is accepted only when the result
 * validates to exactly the expected document; otherwise (flow-style YAML, say) the normalized
 * document is written as JSON text, which every YAML 1.2 reader accepts.
 */
export function withShadow(current: CheckedPolicySource, shadow: boolean): CheckedPolicySource {
  const expected: PolicyDocument = { ...current.document, shadow };
  const candidates: string[] = [];
  if (current.format === 'json') {
    try {
      const raw = JSON.parse(current.source) as Record<string, unknown>;
      candidates.push(`${JSON.stringify({ ...raw, shadow }, null, 2)}\n`);
    } catch {
      // Stored sources always parsed; fall through to the normalized form regardless.
    }
  } else {
    const edited = editYamlShadow(current.source, shadow);
    if (edited !== null) candidates.push(edited);
  }
  candidates.push(`${JSON.stringify(expected, null, 2)}\n`);
  for (const source of candidates) {
    const result = parsePolicyDocument(source, current.format);
    if (result.ok && isDeepStrictEqual(result.policy, expected)) return { document: result.policy, source, format: current.format };
  }
  // Unreachable for documents that validated once; kept so a surprise is an error, not bad data.
  throw new AppError('CONFLICT', 'The policy text could not be rewritten with the new shadow flag; edit it with updatePolicy instead.');
}

const TOP_LEVEL_SHADOW = /^shadow[ \t]*:[ \t]*[^#\n]*?([ \t]+#.*)?$/m;
const TOP_LEVEL_RULES = /^rules[ \t]*:/m;

function editYamlShadow(source: string, shadow: boolean): string | null {
  if (TOP_LEVEL_SHADOW.test(source)) {
    return source.replace(TOP_LEVEL_SHADOW, (_line, comment: string | undefined) => `shadow: ${shadow}${comment ?? ''}`);
  }
  const rules = TOP_LEVEL_RULES.exec(source);
  if (!rules) return null;
  return `${source.slice(0, rules.index)}shadow: ${shadow}\n${source.slice(rules.index)}`;
}
