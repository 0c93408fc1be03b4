import { computed, onScopeDispose, ref, shallowRef, watch, type ComputedRef, type Ref, type ShallowRef } from 'vue';
import { ValidatePolicyDocument } from '@/gql/graphql';
import { useSession } from '@/session/session';
import { policyErrorsOf, type PolicyErrorItem } from './policy-errors';
import { detectFormat } from './templates';

/** The text being edited, its errors, and whether it differs from what is saved. */
export interface PolicyDraft {
  readonly source: Ref<string>;
  readonly format: ComputedRef<'JSON' | 'YAML'>;
  /** The control plane's errors for the current text (from checking as it is typed, a test or a save). */
  readonly errors: ShallowRef<PolicyErrorItem[]>;
  /** A check of the current text is under way. */
  readonly checking: Ref<boolean>;
  readonly dirty: ComputedRef<boolean>;
  /** Starts over from saved text (after loading or saving). */
  reset(saved: string): void;
  /** Shows the policy errors of a failed save or test; false when the failure was something else. */
  adoptErrors(error: unknown): boolean;
}

/** How long typing must pause before the text is checked. */
const CHECK_DELAY_MS = 600;

/**
 * Keeps a policy's text while it is edited and checks it with the control plane as it is typed
 * (`testPolicy` on an empty sample validates without saving), so errors appear beside their
 * rules before anyone presses Save. Only the answer for the text still in the editor is shown.
 */
export function usePolicyDraft(): PolicyDraft {
  const session = useSession();
  const source = ref('');
  const saved = ref('');
  const errors = shallowRef<PolicyErrorItem[]>([]);
  const checking = ref(false);
  const format = computed(() => detectFormat(source.value));
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function check(text: string): Promise<void> {
    if (!text.trim()) {
      errors.value = [];
      return;
    }
    checking.value = true;
    try {
      const result = await session.client.value
        .query(ValidatePolicyDocument, { source: text, format: detectFormat(text) }, { requestPolicy: 'network-only' })
        .toPromise();
      if (text !== source.value) return;
      if (!result.error) errors.value = [];
      else {
        const found = policyErrorsOf(result.error);
        // A network failure says nothing about the text: keep what is shown.
        if (found) errors.value = found;
      }
    } finally {
      checking.value = false;
    }
  }

  watch(source, (text) => {
    clearTimeout(timer);
    if (text === saved.value) return;
    timer = setTimeout(() => void check(text), CHECK_DELAY_MS);
  });
  onScopeDispose(() => clearTimeout(timer));

  return {
    source,
    format,
    errors,
    checking,
    dirty: computed(() => source.value !== saved.value),
    reset(text) {
      clearTimeout(timer);
      saved.value = text;
      source.value = text;
      errors.value = [];
    },
    adoptErrors(error) {
      const found = policyErrorsOf(error);
      if (!found) return false;
      errors.value = found;
      return true;
    },
  };
}
