/**
 * Config apply benchmark: how long a node takes to take in a config change with 10,000 keys
 * loaded, the way `startDataPlane` wires it (`ConfigSync` validates the message, builds the
 * new view, then `PolicySets.prepare` indexes the policies of the keys). Two figures:
 *
 * - **one-key delta**: a delta that changes one key's labels, as renaming or relabelling a key
 *   sends; one after another, each from the version before.
 * - **full snapshot**: the same change delivered as a whole snapshot, which rebuilds every index.
 *
 * Each change is timed from the message's arrival to the new view being served (the write of
 * the last known good file happens afterwards, off this path). Median and p95 in milliseconds.
 *
 * Run after building: `npm run bench:config-apply` or
 * `node test/dist/bench/config-apply.js [--keys 10000] [--deltas 200] [--snapshots 50]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BudgetConfig, ConfigCollections, ConfigSnapshot, CredentialConfig, KeyConfig, OrgConfig, PolicyConfig } from '@keyward/shared';
import { createLogger, createManualConfigSource } from '@keyward/data-plane';
import { ConfigSync, PolicySets } from '@keyward/data-plane/testing';
import { BENCH_POLICY } from './policy-eval.js';

/** Options of `runConfigApplyBench`. */
export interface ConfigApplyBenchOptions {
  readonly keys: number;
  /** Timed one-key deltas (a tenth as many again warm up first). */
  readonly deltas: number;
  /** Timed full snapshots. */
  readonly snapshots: number;
}

/** Milliseconds. */
export interface ApplyStats {
  readonly count: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface ConfigApplyBenchResult {
  readonly keys: number;
  readonly delta: ApplyStats;
  readonly snapshot: ApplyStats;
}

const ORGS = 10;
const TEAMS_PER_ORG = 10;

/**
 * A config shaped like a busy installation: ten organizations, each with ten teams, two
 * credentials, an organization policy, a policy per team, a key policy on every tenth key and a
 * budget; keys spread evenly over organizations and teams.
 */
export function benchCollections(keyCount: number): ConfigCollections {
  const orgs: Record<string, OrgConfig> = {};
  const keys: Record<string, KeyConfig> = {};
  const credentials: Record<string, CredentialConfig> = {};
  const policies: Record<string, PolicyConfig> = {};
  const budgets: Record<string, BudgetConfig> = {};
  const policy = (orgId: string, name: string, kind: 'org' | 'team' | 'key', ids: string[]): PolicyConfig => ({
    id: randomUUID(),
    orgId,
    name,
    version: 1,
    enabled: true,
    attachments: ids.map((id) => ({ kind, id })),
    document: BENCH_POLICY.document,
  });
  for (let o = 0; o < ORGS; o++) {
    const orgId = randomUUID();
    orgs[orgId] = { id: orgId, plan: 'enterprise', timeZone: 'Europe/Paris', contentCapture: false, limiterFailMode: 'open', customModels: [] };
    const orgPolicy = policy(orgId, 'organization guardrails', 'org', [orgId]);
    policies[orgPolicy.id] = orgPolicy;
    const credentialIds: string[] = [];
    for (let c = 0; c < 2; c++) {
      const id = randomUUID();
      credentialIds.push(id);
      credentials[id] = {
        id,
        orgId,
        provider: 'openai',
        name: `credential ${c}`,
        baseUrl: null,
        models: [],
        secret: { kekId: 'local', wrappedKey: 'AAAA', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' },
        secretVersion: 1,
      };
    }
    const teams = Array.from({ length: TEAMS_PER_ORG }, () => randomUUID());
    for (const team of teams) {
      const teamPolicy = policy(orgId, 'team rules', 'team', [team]);
      policies[teamPolicy.id] = teamPolicy;
    }
    const keyPolicy = policy(orgId, 'key rules', 'key', []);
    const attached: string[] = [];
    const perOrg = Math.ceil(keyCount / ORGS);
    for (let k = 0; k < perOrg && Object.keys(keys).length < keyCount; k++) {
      const id = randomUUID();
      const hash = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
      const withPolicy = k % 10 === 0;
      if (withPolicy) attached.push(id);
      keys[hash] = {
        id,
        orgId,
        hash,
        prefix: `kw_${hash.slice(0, 6)}`,
        name: `agent ${k}`,
        ownerLabel: 'bench',
        teamId: teams[k % teams.length],
        status: 'active',
        expiresAt: null,
        graceUntil: null,
        allowedModels: [],
        credentialIds,
        labels: { env: 'prod' },
      };
    }
    policies[keyPolicy.id] = { ...keyPolicy, attachments: attached.map((id) => ({ kind: 'key', id })) };
    const budgetId = randomUUID();
    budgets[budgetId] = { id: budgetId, orgId, scope: { kind: 'org', id: orgId }, period: 'month', limitMicros: 1e12, action: 'block', alertThresholds: [80] };
  }
  return { orgs, keys, credentials, policies, budgets, rateLimits: {}, routes: {}, roles: {}, mcpServers: {} };
}

function stats(times: number[]): ApplyStats {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { count: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1] };
}

/** Lets the node's asynchronous work (the last known good write) run between two timed changes. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

export async function runConfigApplyBench(options: ConfigApplyBenchOptions): Promise<ConfigApplyBenchResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'keyward-config-bench-'));
  try {
    const logger = createLogger('warn', { write: () => undefined });
    const source = createManualConfigSource('bench');
    const policySets = new PolicySets(logger);
    // As `startDataPlane` wires them.
    const sync = new ConfigSync({ stateDir, source, logger, onChange: (view, _origin, update) => policySets.prepare(view, update) });
    await sync.start();
    let collections = benchCollections(options.keys);
    let version = 1;
    source.publish({ type: 'snapshot', version, generatedAt: new Date().toISOString(), ...collections } satisfies ConfigSnapshot);
    const hashes = Object.keys(collections.keys);
    // The bench's own copy of the keys, changed in place so that its bookkeeping stays out of the figures.
    const keys = new Map(Object.entries(collections.keys));

    const change = (i: number): KeyConfig => {
      const key = keys.get(hashes[(i * 7919) % hashes.length])!;
      const next = { ...key, labels: { ...key.labels, revision: String(i) } };
      keys.set(next.hash, next);
      return next;
    };
    const timeOne = (message: unknown): number => {
      const start = performance.now();
      source.publish(message);
      const elapsed = performance.now() - start;
      if (sync.view?.version !== version) throw new Error(`the node did not take version ${version} in`);
      return elapsed;
    };

    const deltaTimes: number[] = [];
    const warmup = Math.ceil(options.deltas / 10);
    for (let i = 0; i < warmup + options.deltas; i++) {
      const key = change(i);
      version++;
      const elapsed = timeOne({
        type: 'delta',
        fromVersion: version - 1,
        version,
        generatedAt: new Date().toISOString(),
        changed: { keys: { [key.hash]: key } },
        removed: {},
      });
      if (i >= warmup) deltaTimes.push(elapsed);
      await settle();
    }

    const snapshotTimes: number[] = [];
    for (let i = 0; i < options.snapshots + 2; i++) {
      change(options.deltas + warmup + i);
      collections = { ...collections, keys: Object.fromEntries(keys) };
      version++;
      const elapsed = timeOne({ type: 'snapshot', version, generatedAt: new Date().toISOString(), ...collections });
      if (i >= 2) snapshotTimes.push(elapsed);
      await settle();
    }
    await sync.flush();
    return { keys: options.keys, delta: stats(deltaTimes), snapshot: stats(snapshotTimes) };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${flag} takes a whole number of at least 1; "${value}" is not one.`);
    process.exit(2);
  }
  return n;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { keys: { type: 'string' }, deltas: { type: 'string' }, snapshots: { type: 'string' } } });
  const result = await runConfigApplyBench({
    keys: positive(values.keys, 10_000, '--keys'),
    deltas: positive(values.deltas, 200, '--deltas'),
    snapshots: positive(values.snapshots, 50, '--snapshots'),
  });
  const row = (name: string, s: ApplyStats) => `| ${name} | ${s.count} | ${s.medianMs.toFixed(3)} | ${s.p95Ms.toFixed(3)} | ${s.maxMs.toFixed(3)} |`;
  console.log(`Config apply with ${result.keys.toLocaleString('en')} keys (node ${process.version})\n`);
  console.log('| change | count | median ms | p95 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(row('one-key delta', result.delta));
  console.log(row('full snapshot', result.snapshot));
}
