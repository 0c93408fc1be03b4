import { useQuery } from '@urql/vue';
import { computed, type ComputedRef } from 'vue';
import { InstallationDocument } from '@/gql/graphql';

/** Installation-wide facts screens adapt to. */
export interface InstallationFacts {
  /** Whether organizations buy plans here (the service edition); false on a self-hosted installation, and while unknown. */
  readonly sellsPlans: ComputedRef<boolean>;
  /** Where agents reach the data plane; null when the control plane has no address configured (or while unknown). */
  readonly gatewayUrl: ComputedRef<string | null>;
  /** Whether the answer has arrived (a missing address then means "not configured"). */
  readonly known: ComputedRef<boolean>;
}

/** The installation's edition and gateway address (`installation` query, cached for the session). */
export function useInstallation(): InstallationFacts {
  const query = useQuery({ query: InstallationDocument, requestPolicy: 'cache-first' });
  const installation = computed(() => query.data.value?.installation ?? null);
  return {
    sellsPlans: computed(() => installation.value?.edition === 'SERVICE'),
    gatewayUrl: computed(() => installation.value?.gatewayUrl ?? null),
    known: computed(() => installation.value !== null),
  };
}
