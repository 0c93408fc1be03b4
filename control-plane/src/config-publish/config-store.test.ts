import * as shared from '@keyward/shared';
import type { ConfigMessage } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { createLocalKmsFile, createOrgWithMember, type LocalKmsFile, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { openConfigStream, type ConfigStream } from './config-stream.js';

// Counts every diff the control plane works out, wherever it is called from.
vi.mock('@keyward/shared', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@keyward/shared')>();
  return { ...actual, diffConfigCollections: vi.fn(actual.diffConfigCollections) };
});
const diffs = vi.mocked(shared.diffConfigCollections);

const CREATE_KEY = 'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } } }';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
let other: OrgMember;
const streams: ConfigStream[] = [];

async function nextOf(stream: ConfigStream): Promise<ConfigMessage> {
  const { value, done } = await stream.next();
  expect(done).toBe(false);
  return value as ConfigMessage;
}

function open(scope: string | null): ConfigStream {
  const stream = openConfigStream(cp.services.configStore, { scope, log: cp.services.log });
  streams.push(stream);
  return stream;
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), kms.env);
  owner = await createOrgWithMember(cp, 'owner');
  other = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await cp?.close();
  await kms?.remove();
});

describe('a publish reaching many nodes', () => {
  it('is diffed once, when it is published, and every stream sends that one delta', async () => {
    const global = [open(null), open(null), open(null), open(owner.orgId)];
    const elsewhere = [open(other.orgId), open(other.orgId)];
    for (const stream of [...global, ...elsewhere]) expect((await nextOf(stream)).type).toBe('snapshot');
    const version = cp.services.configStore.version;
    diffs.mockClear();

    const res = await owner.gql(CREATE_KEY, { input: { name: 'one diff', ownerLabel: 'agent' } });
    expect(res.errors).toBeUndefined();
    const [first, ...rest] = await Promise.all(global.map(nextOf));
    const empties = await Promise.all(elsewhere.map(nextOf));

    expect(diffs).toHaveBeenCalledTimes(1);
    expect(first).toMatchObject({ type: 'delta', fromVersion: version, version: version + 1 });
    expect(Object.values((first as shared.ConfigDelta).changed.keys!).map((k) => k.name)).toEqual(['one diff']);
    for (const message of rest) expect(message).toBe(first);
    expect(empties[0]).toMatchObject({ type: 'delta', fromVersion: version, version: version + 1, changed: {}, removed: {} });
    expect(empties[1]).toBe(empties[0]);
  });

  it('sends a node that resumes the stored diffs, merged, without diffing again', async () => {
    const before = cp.services.configStore.version;
    await owner.gql(CREATE_KEY, { input: { name: 'while away 1', ownerLabel: 'agent' } });
    await owner.gql(CREATE_KEY, { input: { name: 'while away 2', ownerLabel: 'agent' } });
    diffs.mockClear();
    const resumed = openConfigStream(cp.services.configStore, { scope: null, knownVersion: before, log: cp.services.log });
    streams.push(resumed);
    const message = (await nextOf(resumed)) as shared.ConfigDelta;
    expect(message).toMatchObject({ type: 'delta', fromVersion: before, version: before + 2 });
    expect(
      Object.values(message.changed.keys!)
        .map((k) => k.name)
        .sort(),
    ).toEqual(['while away 1', 'while away 2']);
    expect(diffs).not.toHaveBeenCalled();
  });
});
