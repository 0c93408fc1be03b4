import { createRequire } from 'node:module';
import type { PolicyValidationResult } from './types.js';
import { validatePolicyDocument } from './validate.js';

// Loaded on the first YAML text: data-plane nodes receive policies as JSON and never pay the parser's 8 MiB.
const require = createRequire(import.meta.url);
let yaml: typeof import('yaml') | null = null;

/** Largest policy text accepted (a policy of 200 rules fits in a fraction of this). */
export const MAX_POLICY_TEXT = 256 * 1024;

/** The syntaxes a policy may be written in. */
export type PolicyFormat = 'json' | 'yaml';

/**
 * Parses and validates a policy written as JSON or YAML. Without `format`, text starting with
 * `{` is JSON and anything else YAML. Syntax errors come back like validation errors (with
 * line and column), so callers handle one result shape.
 */
export function parsePolicyDocument(text: string, format?: PolicyFormat): PolicyValidationResult {
  if (text.length > MAX_POLICY_TEXT) {
    return fail(`the policy text must be at most ${MAX_POLICY_TEXT} characters long (it has ${text.length})`);
  }
  const syntax = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  let value: unknown;
  if (syntax === 'json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail(`the policy is not valid JSON: ${(err as Error).message}`);
    }
  } else {
    // YAML 1.2 core schema: `on`, `no` and `09:00` stay strings. Aliases are capped so a small
    // document cannot expand into a huge one.
    yaml ??= require('yaml') as typeof import('yaml');
    const doc = yaml.parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        ok: false,
        errors: doc.errors.map((e) => ({
          path: '',
          message: `the policy is not valid YAML${e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''}: ${firstLine(e.message)}`,
        })),
      };
    }
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return fail(`the policy is not usable YAML: ${firstLine((err as Error).message)}`);
    }
  }
  return validatePolicyDocument(value);
}

/** The first line of a yaml error, without the position it appends (reported separately). */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function fail(message: string): PolicyValidationResult {
  return { ok: false, errors: [{ path: '', message }] };
}
