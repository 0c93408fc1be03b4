import { BUILT_IN_PRICES, findPrice, type ApiFamily, type KeyConfig, type ModelPriceEntry, type OrgConfig, type ProviderKind } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { speaks } from '../providers/index.js';
import { anyGlobMatches, isGlob } from './globs.js';

/** A model a key can use, and the provider kind that would serve it. */
export interface AvailableModel {
  readonly id: string;
  readonly provider: ProviderKind;
}

/**
 * The models a key may use through an API family: what its credentials serve (their exact model
 * names, and the known models of the price table, org custom models first, that their globs or
 * "any model" cover) intersected with the key's allow-list. Sorted by id.
 */
export function availableModels(view: ConfigView, key: KeyConfig, org: OrgConfig, family: ApiFamily): AvailableModel[] {
  const credentials = (
    key.credentialIds.length > 0
      ? key.credentialIds.map((id) => view.credential(id)).filter((c) => c !== undefined && c.orgId === key.orgId)
      : view.orgCredentials(key.orgId)
  ).filter((c): c is NonNullable<typeof c> => c !== undefined && speaks(c.provider, family));
  const known: readonly ModelPriceEntry[] = [...org.customModels, ...BUILT_IN_PRICES];
  const found = new Map<string, AvailableModel>();
  const add = (id: string, provider: ProviderKind) => {
    const lower = id.toLowerCase();
    if (!found.has(lower) && anyGlobMatches(key.allowedModels, id)) found.set(lower, { id, provider });
  };
  for (const credential of credentials) {
    const serves = (model: string) => anyGlobMatches(credential.models, model);
    for (const pattern of credential.models) if (!isGlob(pattern)) add(pattern, credential.provider);
    for (const entry of known) {
      if (entry.provider === credential.provider && serves(entry.model)) add(entry.model, credential.provider);
    }
    // Exact names on the key's allow-list count when a credential serves them: named by its
    // globs, or (for "any model of its provider") not known to belong to another provider.
    for (const allowed of key.allowedModels) {
      if (isGlob(allowed) || !serves(allowed)) continue;
      const owner = credential.models.length === 0 ? findPrice(allowed, org.customModels)?.provider : undefined;
      if (owner === undefined || owner === credential.provider) add(allowed, credential.provider);
    }
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}
