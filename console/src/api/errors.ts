import { CombinedError } from '@urql/vue';

/** The `extensions.code` of the first GraphQL error (e.g. `FORBIDDEN`), if any. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof CombinedError)) return undefined;
  const code = error.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The `extensions.reason` of the first GraphQL error (e.g. `RECENT_SIGN_IN_REQUIRED`), if any. */
export function errorReason(error: unknown): string | undefined {
  if (!(error instanceof CombinedError)) return undefined;
  const reason = error.graphQLErrors[0]?.extensions?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** Whether the control plane said the caller is not signed in (or the session ended). */
export function isUnauthenticated(error: unknown): boolean {
  return errorCode(error) === 'UNAUTHENTICATED';
}

/**
 * A sentence to show a person. The control plane's own messages are written for people; a
 * network failure gets one that says what to do.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof CombinedError) {
    const first = error.graphQLErrors[0];
    if (first) return first.message;
    if (error.networkError) return 'Could not reach the Keyward control plane. Check your connection and try again.';
    return error.message.replace(/^\[\w+\]\s*/, '');
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
