import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTION_NAMES } from '@keyward/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLastKnownGood } from './last-known-good.js';

/** A last-known-good file as a node wrote it before routes and roles were part of the config. */
const BEFORE_ROUTES = {
  type: 'snapshot',
  version: 7,
  generatedAt: '2026-11-01T10:00:00.000Z',
  ...Object.fromEntries(COLLECTION_NAMES.filter((name) => name !== 'routes' && name !== 'roles').map((name) => [name, {}])),
};

describe('the last-known-good config file', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads a file written before routes and roles existed, with none of them, and still refuses one missing an older collection', async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyward-lkg-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify(BEFORE_ROUTES));
    expect(await loadLastKnownGood(dir)).toMatchObject({ version: 7, routes: {}, roles: {} });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...BEFORE_ROUTES, budgets: undefined }));
    await expect(loadLastKnownGood(dir)).rejects.toThrow('config snapshot "budgets" is missing');
  });
});
