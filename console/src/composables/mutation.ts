import { useMutation, type AnyVariables, type DocumentInput } from '@urql/vue';
import { useMessage } from 'naive-ui';
import { errorMessage } from '@/api/errors';

/** A mutation whose failure is reported to the person, and whose result is returned or thrown. */
export interface MutationAction<Data, Variables extends AnyVariables> {
  /** Runs the mutation; resolves with its data, or throws an Error carrying the API's message. */
  run(variables: Variables): Promise<Data>;
  readonly fetching: import('vue').Ref<boolean>;
}

/**
 * Wraps `useMutation` so screens read as "run, then say what happened": GraphQL errors become a
 * thrown Error with a readable message (dialogs and forms show it where the person is looking).
 */
export function useMutationAction<Data, Variables extends AnyVariables>(document: DocumentInput<Data, Variables>): MutationAction<Data, Variables> {
  const mutation = useMutation(document);
  return {
    fetching: mutation.fetching,
    async run(variables) {
      const result = await mutation.executeMutation(variables);
      if (result.error || !result.data) throw new Error(errorMessage(result.error));
      return result.data;
    },
  };
}

/** Toasts for a finished action: `notify.success('Key revoked')`, `notify.error(error)`. */
export function useNotify(): { success(text: string): void; error(error: unknown): void } {
  const message = useMessage();
  return {
    success: (text) => void message.success(text),
    error: (error) => void message.error(errorMessage(error)),
  };
}
