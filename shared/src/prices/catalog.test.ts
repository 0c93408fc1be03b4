import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePriceFile } from './catalog.js';
import { findPrice } from './find-price.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-prices-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const provider = (id: string, models: unknown[] = []) => ({ id, name: id, api_pattern: '.*', models });

/** A newer dataset in the format of `@pydantic/genai-prices`' data.json: Sonnet 4.5 cut to $2 / $10, with a dated rise. */
const NEWER = [
  provider('openai'),
  provider('anthropic', [
    {
      id: 'claude-sonnet-4-5',
      match: { starts_with: 'claude-sonnet-4-5' },
      prices: [
        { prices: { input_mtok: 2, output_mtok: 10, cache_read_mtok: 0.2, cache_write_mtok: 2.5 } },
        { constraint: { start_date: '2030-01-01', type: 'start_date' }, prices: { input_mtok: 4, output_mtok: 20 } },
      ],
    },
  ]),
  provider('google'),
];

// Loading a dataset replaces the process-wide catalog, so this file runs apart from the other price tests.
describe('a newer price file loaded at start', () => {
  it('refuses a file it cannot use, naming why, and keeps the prices in use', () => {
    expect(() => usePriceFile(join(dir, 'missing.json'))).toThrow(/^it cannot be read as JSON \(ENOENT/);
    expect(() => usePriceFile(file('broken.json', '{"providers": ['))).toThrow(/^it cannot be read as JSON/);
    expect(() => usePriceFile(file('object.json', { providers: [] }))).toThrow('it is not a list of providers, as the data.json of @pydantic/genai-prices is');
    expect(() => usePriceFile(file('partial.json', [provider('openai')]))).toThrow('it lists no anthropic, google provider');
    const badDate = [
      provider('openai'),
      provider('anthropic', [{ id: 'x', match: { equals: 'x' }, prices: [{ constraint: { start_date: 'soon' }, prices: {} }] }]),
      provider('google'),
    ];
    expect(() => usePriceFile(file('bad-date.json', badDate))).toThrow(/^its prices are not valid \(Expected a start-date or time-of-day price constraint/);
    expect(findPrice('claude-sonnet-4-5', [], new Date())).toMatchObject({ inputPerMTok: 3_000_000 });
  });

  it('prices from the newer file, dated prices included', () => {
    usePriceFile(file('data.json', NEWER));
    expect(findPrice('claude-sonnet-4-5-20250929', [], new Date('2029-12-31T00:00:00Z'))).toMatchObject({
      provider: 'anthropic',
      inputPerMTok: 2_000_000,
      outputPerMTok: 10_000_000,
      cachedInputPerMTok: 200_000,
      cacheWritePerMTok: 2_500_000,
    });
    expect(findPrice('claude-sonnet-4-5', [], new Date('2030-01-01T00:00:00Z'))).toMatchObject({ inputPerMTok: 4_000_000, cachedInputPerMTok: 4_000_000 });
    expect(findPrice('gpt-4o', [], new Date())).toBeNull();
  });
});
