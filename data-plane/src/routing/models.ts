import { findPrice, modelsServedBy, providerNamesOf, type ApiFamily, type KeyConfig, type OrgConfig, type ProviderKind } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import type { ModelEntry } from '../providers/index.js';
import { anyGlobMatches, isGlob } from '@keyward/shared';
import { fleetNow } from '../clock/fleet-clock.js';
import { familyCredentials, modelAllowed, routeCandidates } from './route.js';

/**
 * The models a key may use through an API family: for each credential the key can reach in
 * that family, its exact model names and the known models (the org's custom models, then the
 * built-in price catalog) of its provider that its globs or "any model" cover, plus exact names
 * on the key's allow-list that it serves and that are not known to belong to another
 * provider; all intersected with the key's allow-list. Sorted by id.
 */
export function availableModels(view: ConfigView, key: KeyConfig, org: OrgConfig, family: ApiFamily): ModelEntry[] {
  const found = new Map<string, ModelEntry>();
  const now = new Date(fleetNow());
  const add = (id: string, provider: ProviderKind) => {
    const lower = id.toLowerCase();
    if (!found.has(lower) && modelAllowed(key, id)) found.set(lower, { id, provider });
  };
  for (const credential of familyCredentials(view, key, family)) {
    for (const model of modelsServedBy(credential, org.customModels, now)) add(model, credential.provider);
    const names = providerNamesOf(credential.provider);
    for (const allowed of key.allowedModels) {
      if (!isGlob(allowed) && anyGlobMatches(credential.models, allowed) && ownedBy(allowed, org, names, credential.models)) add(allowed, credential.provider);
    }
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The model a key may call by this id, for `GET /v1/models/{id}`: a listed one, or a name in no
 * table that the key's allow-list covers and a credential would be sent (a request for it
 * would be forwarded, so discovery says it exists). Null otherwise, including for a known
 * model of another provider that a catch-all credential would only forward to fail.
 */
export function callableModel(view: ConfigView, key: KeyConfig, org: OrgConfig, family: ApiFamily, id: string): ModelEntry | null {
  const wanted = id.toLowerCase();
  const listed = availableModels(view, key, org, family).find((m) => m.id.toLowerCase() === wanted);
  if (listed) return listed;
  if (id === '' || !modelAllowed(key, id)) return null;
  const credential = routeCandidates(view, key, family, id).find((c) => ownedBy(id, org, providerNamesOf(c.provider), c.models));
  return credential ? { id, provider: credential.provider } : null;
}

/** True unless a credential serving "any model" is offered a name the prices give to another provider. */
function ownedBy(model: string, org: OrgConfig, names: readonly ProviderKind[], credentialModels: readonly string[]): boolean {
  if (credentialModels.length > 0) return true;
  const owner = findPrice(model, org.customModels, new Date(fleetNow()))?.provider;
  return owner === undefined || names.includes(owner);
}
