import { CombinedError } from '@urql/vue';
import { errorMessage } from '@/api/errors';

/** A failed save, sorted for the form: messages by field (`name`, `match`, `rules[0]`, `targets[1].weight`…) and the rest. */
export interface RouteFormErrors {
  readonly fields: Readonly<Record<string, string>>;
  readonly general: string | null;
}

/** Where a validator path shows: a target's own field, a rule, or a top-level field. */
function fieldOf(path: string): string | null {
  const target = /^targets\[(\d+)\](?:\.(credentialId|model|alias|weight|timeoutMs|maxRetries|contextTokens))?/.exec(path);
  if (target) return target[2] ? `targets[${target[1]}].${target[2]}` : `targets[${target[1]}].model`;
  const rule = /^rules\[(\d+)\]/.exec(path);
  if (rule) return `rules[${rule[1]}]`;
  const top = /^(name|match|strategy|maxLatencyMs|targets|rules)\b/.exec(path);
  return top ? top[1]! : null;
}

/**
 * Places a failed `createRoute`/`updateRoute`: a BAD_USER_INPUT lists its field in
 * `extensions.errors[].path`; a CONFIG_REJECTED names "target N" when a credential is missing
 * (the credential field) or does not serve the model (the model field). Anything else is general.
 */
export function routeFormErrors(error: unknown): RouteFormErrors {
  const first = error instanceof CombinedError ? error.graphQLErrors[0] : undefined;
  const message = first?.message ?? errorMessage(error);
  if (first?.extensions?.code === 'BAD_USER_INPUT' && Array.isArray(first.extensions.errors)) {
    const fields: Record<string, string> = {};
    for (const e of first.extensions.errors as { path?: unknown; message?: unknown }[]) {
      const field = typeof e.path === 'string' ? fieldOf(e.path) : null;
      if (field && typeof e.message === 'string') fields[field] = e.message.replace(/^route /, '');
    }
    if (Object.keys(fields).length > 0) return { fields, general: null };
  }
  if (first?.extensions?.code === 'CONFIG_REJECTED') {
    const target = /target (\d+) (uses credential|asks credential)/.exec(message);
    if (target) {
      const field = `targets[${Number(target[1]) - 1}].${target[2] === 'uses credential' ? 'credentialId' : 'model'}`;
      return { fields: { [field]: message }, general: null };
    }
  }
  return { fields: {}, general: message };
}
