import type { ApiFamily, CredentialConfig, KeyConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { speaks } from '../providers/index.js';
import { anyGlobMatches } from '@keyward/shared';

/** True when the key may use the model (an empty allow-list allows every model). */
export function modelAllowed(key: KeyConfig, model: string): boolean {
  return anyGlobMatches(key.allowedModels, model);
}

/**
 * The credentials a key can reach through an API family, best first: the key's own list in its
 * order when it has one (otherwise all of the organization's), keeping those whose provider
 * speaks the family. An `openai_compatible` credential without a base URL has nowhere to go and
 * is skipped.
 */
export function familyCredentials(view: ConfigView, key: KeyConfig, family: ApiFamily): CredentialConfig[] {
  const pool =
    key.credentialIds.length > 0
      ? key.credentialIds.map((id) => view.credential(id)).filter((c): c is CredentialConfig => c !== undefined && c.orgId === key.orgId)
      : view.orgCredentials(key.orgId);
  return pool.filter((c) => speaks(c.provider, family) && (c.provider !== 'openai_compatible' || (c.baseUrl !== null && c.baseUrl !== '')));
}

/** The credentials that may serve a request for `model`, best first: those of `familyCredentials` whose model globs match. */
export function routeCandidates(view: ConfigView, key: KeyConfig, family: ApiFamily, model: string): CredentialConfig[] {
  return familyCredentials(view, key, family).filter((c) => anyGlobMatches(c.models, model));
}
