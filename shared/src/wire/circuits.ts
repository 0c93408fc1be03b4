/**
 * A route target whose circuit breaker is not closed on a data-plane node, as the node's
 * heartbeat reports it to the control plane (which shows it per target).
 */
export interface ReportedCircuit {
  /** `<credential id>/<provider model>`. */
  readonly target: string;
  /** `open`: the node skips the target; `half_open`: it lets one probe through. */
  readonly state: 'open' | 'half_open';
  /** ISO time an open circuit lets a probe through; null when half-open. */
  readonly openUntil: string | null;
}

/** Most circuits one heartbeat reports; the control plane refuses more. */
export const MAX_REPORTED_CIRCUITS = 500;
