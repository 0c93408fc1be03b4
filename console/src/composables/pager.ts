import { computed, ref, type ComputedRef, type Ref } from 'vue';

/** Cursor paging state for a Relay-style connection: forward with `endCursor`, back through a stack. */
export interface CursorPager {
  /** The `after` variable for the current page (null on the first page). */
  readonly after: Ref<string | null>;
  /** One-based page number, for "Page 3". */
  readonly page: ComputedRef<number>;
  readonly hasPrevious: ComputedRef<boolean>;
  next(endCursor: string | null | undefined): void;
  previous(): void;
  /** Back to the first page (after a filter changes). */
  reset(): void;
}

/** Creates cursor paging state; the server only pages forward, so earlier cursors are remembered. */
export function useCursorPager(): CursorPager {
  const stack = ref<(string | null)[]>([]);
  const after = ref<string | null>(null);
  return {
    after,
    page: computed(() => stack.value.length + 1),
    hasPrevious: computed(() => stack.value.length > 0),
    next(endCursor) {
      if (!endCursor) return;
      stack.value = [...stack.value, after.value];
      after.value = endCursor;
    },
    previous() {
      if (stack.value.length === 0) return;
      after.value = stack.value[stack.value.length - 1] ?? null;
      stack.value = stack.value.slice(0, -1);
    },
    reset() {
      stack.value = [];
      after.value = null;
    },
  };
}
