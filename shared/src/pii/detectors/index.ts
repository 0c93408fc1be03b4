import type { DetectorName } from '../types.js';
import { anthropicApiKey, githubToken, googleApiKey, openaiApiKey } from './api-keys.js';
import { awsAccessKeyId, awsSecretAccessKey } from './aws.js';
import type { Detector } from './detector.js';
import { email } from './email.js';
import { iban } from './iban.js';
import { ipv4, ipv6 } from './ip-address.js';
import { jwt } from './jwt.js';
import { paymentCard } from './payment-card.js';
import { phone } from './phone.js';
import { privateKey } from './private-key.js';
import { usSsn } from './us-ssn.js';

export type { Detector } from './detector.js';

/** Every built-in detector by name. */
export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  email,
  phone,
  payment_card: paymentCard,
  iban,
  us_ssn: usSsn,
  ipv4,
  ipv6,
  openai_api_key: openaiApiKey,
  anthropic_api_key: anthropicApiKey,
  aws_access_key_id: awsAccessKeyId,
  aws_secret_access_key: awsSecretAccessKey,
  github_token: githubToken,
  google_api_key: googleApiKey,
  private_key: privateKey,
  jwt,
};
