import type { KeyConfig } from '@keyward/shared';
import { GatewayError } from '../errors.js';
import type { AnomalyScorer } from './anomaly-scorer.js';

/**
 * The refusal of a request by a key an anomaly stopped, naming when and why, or null. A frozen
 * key is refused everywhere. A held key's model calls wait for a person (the anomaly hold step);
 * with `refuseHeld` (MCP tool calls, where an agent does damage) a held key is refused as well.
 */
export function stoppedKeyError(anomaly: AnomalyScorer, key: KeyConfig, refuseHeld: boolean): GatewayError | null {
  const stop = anomaly.stopOf(key);
  if (!stop || (stop.kind === 'held' && !refuseHeld)) return null;
  const [code, state, action] =
    stop.kind === 'frozen' ? (['key_frozen', 'frozen', 'unfreeze'] as const) : (['key_held', 'held for review', 'release'] as const);
  return new GatewayError(
    code,
    403,
    `This Keyward key was ${state} at ${stop.at} after unusual activity (${stop.reason}). A person must review it and ${action} it in the Keyward console.`,
  );
}
