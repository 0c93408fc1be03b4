import type { ModelPriceEntry } from '../wire/config.js';
import { catalogPrice } from './catalog.js';
import type { ModelPrice } from './model-price.js';

/**
 * Suffix words that name a release of the same model rather than a different model: dates
 * (`2024-08-06`, `20250514`, `05-20`), build numbers (`001`) and channel names. A single digit
 * is deliberately not one: `claude-opus-4-5` is a new model, not a release of `claude-opus-4`.
 */
const VERSION_WORD = /^(?:\d{2,}|latest|preview|exp|experimental)$/;

interface Indexed {
  readonly exact: ReadonlyMap<string, ModelPriceEntry>;
  /** Longest model name first, so the first variant match is the longest prefix. */
  readonly byLength: readonly { readonly name: string; readonly entry: ModelPriceEntry }[];
}

/** Custom-model lists come from immutable org config, so each list is indexed once. */
const customIndexes = new WeakMap<readonly ModelPriceEntry[], Indexed>();

/**
 * The price for a model name as an agent sent it, at `at` (prices that change on a date or by the
 * hour; the caller's clock: a node's fleet time, the control plane's own). The
 * organization's custom models come first: an exact name wins, then the longest entry the name
 * extends by a release suffix (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-20250514` or
 * `claude-sonnet-4@20250514` → `claude-sonnet-4`). Then the built-in catalog, with its own
 * matching rules. Gemini's `models/` prefix and letter case are ignored. Null when nothing
 * matches.
 */
export function findPrice(model: string, customModels: readonly ModelPriceEntry[], at: Date): ModelPrice | null {
  const name = normalize(model);
  if (name === '') return null;
  return (customModels.length > 0 ? match(customIndex(customModels), name) : null) ?? catalogPrice(name, at);
}

function customIndex(customModels: readonly ModelPriceEntry[]): Indexed {
  let indexed = customIndexes.get(customModels);
  if (!indexed) {
    indexed = index(customModels);
    customIndexes.set(customModels, indexed);
  }
  return indexed;
}

function match(table: Indexed, name: string): ModelPriceEntry | null {
  const exact = table.exact.get(name);
  if (exact) return exact;
  for (const { name: base, entry } of table.byLength) {
    if (name.length > base.length && name.startsWith(base) && isReleaseSuffix(name.slice(base.length))) return entry;
  }
  return null;
}

function isReleaseSuffix(suffix: string): boolean {
  if (suffix[0] !== '-' && suffix[0] !== '@') return false;
  return suffix
    .slice(1)
    .split(/[-@]/)
    .every((word) => VERSION_WORD.test(word));
}

function normalize(model: string): string {
  const name = typeof model === 'string' ? model.trim().toLowerCase() : '';
  return name.startsWith('models/') ? name.slice('models/'.length) : name;
}

function index(entries: readonly ModelPriceEntry[]): Indexed {
  const exact = new Map<string, ModelPriceEntry>();
  // Reversed so that, for duplicate names, the first listed entry is the one kept.
  for (const entry of [...entries].reverse()) exact.set(normalize(entry.model), entry);
  const byLength = [...exact].map(([name, entry]) => ({ name, entry })).sort((a, b) => b.name.length - a.name.length);
  return { exact, byLength };
}
