/**
 * What Keyward does when a request scores at or above the threshold chosen for its key (the
 * key's own setting, else its team's, else its organization's): record it only; notify people
 * (webhooks, Slack, email) with the reasons; hold the key's further requests for a person's
 * approval; or freeze the key until a person unfreezes it.
 */
export const ANOMALY_ACTIONS = ['record', 'notify', 'hold', 'freeze'] as const;
export type AnomalyAction = (typeof ANOMALY_ACTIONS)[number];

/** The response a key's anomalies get, as pushed with the key. */
export interface AnomalyResponse {
  readonly action: AnomalyAction;
  /** Scores at or above this (1–100) are acted on. */
  readonly threshold: number;
}

/** Where a key's requests are stopped after an anomaly, until a person reviews it. */
export interface AnomalyStop {
  /** ISO time the key was stopped. */
  readonly at: string;
  /** The anomaly's reasons, as the person reviewing it is shown them. */
  readonly reason: string;
}
