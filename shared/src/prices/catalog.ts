import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ModelInfo, ModelPrice as CatalogRates, TieredPrices } from '@pydantic/genai-prices';
import type { ProviderKind } from '../wire/config.js';
import type { ModelPrice, PriceTier } from './model-price.js';

/**
 * The built-in prices: the `@pydantic/genai-prices` dataset (MIT, maintained by Pydantic), the
 * version pinned in package.json, or a newer copy of its `data.json` loaded at start
 * (`usePriceFile`). Only the providers Keyward forwards to are read, in this order, so a name
 * two providers list (Claude on Vertex) belongs to the first.
 */
const CATALOG_PROVIDERS: readonly { readonly id: string; readonly kind: ProviderKind }[] = [
  { id: 'openai', kind: 'openai' },
  { id: 'anthropic', kind: 'anthropic' },
  { id: 'google', kind: 'gemini' },
];

interface Listed {
  readonly provider: ProviderKind;
  readonly info: ModelInfo;
}

/** Model names as agents send them are unbounded, so the memo of lookups is cleared when it grows past this. */
const MEMO_LIMIT = 10_000;
const NO_USAGE = Object.freeze({ input_tokens: 0, output_tokens: 0 });

type CatalogModule = typeof import('@pydantic/genai-prices');

let loaded: CatalogModule | null = null;

/**
 * The dataset's module, loaded on first use: it holds some 16 MiB once imported, which a node
 * that has not yet priced an answer (or looked up a model) need not carry.
 */
function catalog(): CatalogModule {
  loaded ??= createRequire(import.meta.url)('@pydantic/genai-prices') as CatalogModule;
  return loaded;
}

let lookups = new Map<string, Listed | null>();
const converted = new WeakMap<CatalogRates, Omit<ModelPrice, 'model' | 'provider'> | null>();

/**
 * The catalog's price for a (lower-case, trimmed) model name at `at`: the dated price in force
 * then, in integer micro-dollars per million tokens, with its long-context tiers and cache
 * writes. Null when the catalog does not list the model or prices it only in units Keyward does
 * not meter (audio seconds, images).
 */
export function catalogPrice(name: string, at: Date): ModelPrice | null {
  const listed = lookup(name);
  if (!listed) return null;
  const rates = convert(ratesAt(listed.info, at));
  return rates && { model: listed.info.id, provider: listed.provider, ...rates };
}

/** The context window (tokens) the catalog gives a model, or null when it gives none or does not list the model. */
export function catalogContextWindow(name: string): number | null {
  return lookup(name.trim().toLowerCase())?.info.context_window ?? null;
}

/** Ids the catalog uses for patterns rather than models (`ft:gpt-4o-`, `gpt-4o:extended`). */
const MODEL_ID = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

/** Every model the catalog prices per token at `at` under an id that resolves to itself, for model discovery. */
export function catalogModels(at: Date): readonly { readonly model: string; readonly provider: ProviderKind }[] {
  const models: { model: string; provider: ProviderKind }[] = [];
  for (const { id } of CATALOG_PROVIDERS) {
    for (const info of catalog().findProvider({ providerId: id })?.models ?? []) {
      const listed = MODEL_ID.test(info.id) ? lookup(info.id) : null;
      if (listed?.info !== info || convert(ratesAt(info, at)) === null) continue;
      if (!models.some((m) => m.model === info.id)) models.push({ model: info.id, provider: listed.provider });
    }
  }
  return models;
}

/**
 * Replaces the pinned dataset with a newer `data.json` of `@pydantic/genai-prices` (the same
 * format, e.g. downloaded from its repository). Throws an Error naming what is wrong; the
 * dataset in use is unchanged then.
 */
export function usePriceFile(path: string): void {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`it cannot be read as JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new Error('it is not a list of providers, as the data.json of @pydantic/genai-prices is');
  const ids = new Set(data.map((p: unknown) => (p !== null && typeof p === 'object' ? (p as { id?: unknown }).id : undefined)));
  const missing = CATALOG_PROVIDERS.filter((p) => !ids.has(p.id)).map((p) => p.id);
  if (missing.length > 0) throw new Error(`it lists no ${missing.join(', ')} provider`);
  try {
    catalog().updatePrices(({ setProviderData }) => setProviderData(data as Parameters<typeof setProviderData>[0]));
  } catch (err) {
    throw new Error(`its prices are not valid (${(err as Error).message})`);
  }
  lookups = new Map();
}

function lookup(name: string): Listed | null {
  const known = lookups.get(name);
  if (known !== undefined) return known;
  let found: Listed | null = null;
  for (const { id, kind } of CATALOG_PROVIDERS) {
    const result = safeCalc(name, id);
    if (result) {
      found = { provider: kind, info: result.model };
      break;
    }
  }
  if (lookups.size >= MEMO_LIMIT) lookups.clear();
  lookups.set(name, found);
  return found;
}

function safeCalc(name: string, providerId: string) {
  try {
    return catalog().calcPrice(NO_USAGE, name, { providerId });
  } catch {
    // A malformed entry in a loaded dataset prices nothing rather than failing the request.
    return null;
  }
}

/** The rates in force at `at`: the last listed price whose start date or time-of-day window holds, else the first. */
function ratesAt(info: ModelInfo, at: Date): CatalogRates {
  if (!Array.isArray(info.prices)) return info.prices;
  for (let i = info.prices.length - 1; i >= 0; i--) {
    const { constraint, prices } = info.prices[i]!;
    if (constraint === undefined) return prices;
    if (constraint.type === 'start_date' && at.getTime() >= Date.parse(`${constraint.start_date}T00:00:00Z`)) return prices;
    if (constraint.type === 'time_of_date' && withinDailyWindow(at, constraint.start_time, constraint.end_time)) return prices;
  }
  return info.prices[0]!.prices;
}

function withinDailyWindow(at: Date, start: string, end: string): boolean {
  const now = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds();
  const from = secondsOfDay(start);
  const to = secondsOfDay(end);
  return to < from ? now >= from || now < to : now >= from && now < to;
}

function secondsOfDay(time: string): number {
  const [h = 0, m = 0, s = 0] = time.replace(/Z$/, '').split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

type Rate = number | TieredPrices | undefined;

/** Dollars per million tokens (some tiered by prompt size) as integer micro-dollars; null without a token price. */
function convert(rates: CatalogRates): Omit<ModelPrice, 'model' | 'provider'> | null {
  const known = converted.get(rates);
  if (known !== undefined) return known;
  const input = rates['input_mtok'];
  const output = rates['output_mtok'];
  let result: Omit<ModelPrice, 'model' | 'provider'> | null = null;
  if (input !== undefined || output !== undefined) {
    // Without a cache price, cached and written tokens cost what input does: never cheaper than it is.
    const fields = { input, output, cacheRead: rates['cache_read_mtok'] ?? input, cacheWrite: rates['cache_write_mtok'] ?? input };
    const at = (start: number): Omit<PriceTier, 'aboveInputTokens'> => ({
      inputPerMTok: rateAbove(fields.input, start),
      outputPerMTok: rateAbove(fields.output, start),
      cachedInputPerMTok: rateAbove(fields.cacheRead, start),
      cacheWritePerMTok: rateAbove(fields.cacheWrite, start),
    });
    const starts = [...new Set(Object.values(fields).flatMap((r) => (typeof r === 'object' ? r.tiers.map((t) => t.start) : [])))].sort((a, b) => a - b);
    result = { ...at(-1), tiers: starts.map((start) => ({ aboveInputTokens: start, ...at(start) })) };
  }
  converted.set(rates, result);
  return result;
}

/** A rate for prompts of more than `start` tokens (`-1`: the base rate), in micro-dollars per million tokens. */
function rateAbove(rate: Rate, start: number): number {
  if (rate === undefined) return 0;
  if (typeof rate === 'number') return micros(rate);
  let best = { start: -1, price: rate.base };
  for (const tier of rate.tiers) if (tier.start <= start && tier.start > best.start) best = tier;
  return micros(best.price);
}

function micros(dollars: number): number {
  return Math.round(dollars * 1_000_000);
}
