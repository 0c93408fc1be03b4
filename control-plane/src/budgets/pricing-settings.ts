import type { ModelPriceEntry, UnpricedModelsPolicy } from '@keyward/shared';
import type { OrganizationSettings } from '../organizations/organization.entity.js';

/** The pricing part of an organization's settings document (compiled into `OrgConfig`). */
export interface PricingSettings {
  /** Models the organization priced itself, in integer micro-dollars per million tokens. */
  customModels?: ModelPriceEntry[];
  /** What nodes do with a model without a price; `refuse` when unset. */
  unpricedModels?: UnpricedModelsPolicy;
}

/** Models without a price are refused while a budget or credits apply, unless the organization chose otherwise. */
const DEFAULT_UNPRICED_MODELS: UnpricedModelsPolicy = Object.freeze({ mode: 'refuse' });

/** The pricing settings of a settings document, with defaults. */
export function pricingOf(settings: Partial<OrganizationSettings> & PricingSettings): Required<PricingSettings> {
  return {
    customModels: Array.isArray(settings.customModels) ? settings.customModels : [],
    unpricedModels: settings.unpricedModels ?? DEFAULT_UNPRICED_MODELS,
  };
}
