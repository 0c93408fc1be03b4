import type { Tone } from '@/composables/tone';
import type { NodesQuery } from '@/gql/graphql';

/** How a data-plane node reads in the list: whether it is connected now, and whether its config is current. */
export function nodeHealth(node: Pick<NodesQuery['nodes'][number], 'connected' | 'lag'>): { label: string; tone: Tone } {
  if (!node.connected) return { label: 'Disconnected', tone: 'error' };
  if (node.lag > 0) return { label: 'Catching up', tone: 'warning' };
  return { label: 'In sync', tone: 'success' };
}
