/**
 * What the tamper-evident audit chain costs at ingestion: `npm run bench -- ingest-chain`
 * stores the same workload with `KEYWARD_AUDIT_CHAIN` off and on, through the real path (node
 * tokens, `POST /v1/node/events` over HTTP, the control plane's ingest transaction on
 * PostgreSQL), and prints events per second for each.
 *
 * Each round starts a fresh control plane on a fresh database; rounds alternate off/on so
 * drift on a shared machine hits both. Two nodes post batches of 200 (the data plane's default
 * batch) for one organization at once: the case chaining serializes most, since every batch
 * takes the same chain head.
 *
 *   node test/dist/bench/ingest-chain.js [--events 20000] [--rounds 3] [--nodes 2] [--pg-admin-url URL]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '@keyward/control-plane';
import { createNodeTokenFor, createOrgWithMember, postEvents, startTestControlPlane, usageEvent } from '@keyward/control-plane/testing';
import { cpuSeconds, cpuSecondsOf, processTree } from './lib/proc.js';
import { spread } from './lib/stats.js';

const BATCH = 200;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '2' },
    'pg-admin-url': { type: 'string' },
  },
});
const events = Number(values.events);
const rounds = Number(values.rounds);
const nodes = Number(values.nodes);

/** One round's figures: events per second, and CPU milliseconds per 1,000 events of this process (the control plane and the posting nodes) and of the embedded PostgreSQL. */
interface RoundResult {
  readonly rate: number;
  readonly cpMs: number;
  readonly pgMs: number;
}

/** CPU seconds so far of this process and of its child processes (the embedded PostgreSQL, when it runs here). */
function cpuNow(): { own: number; children: number } {
  const own = cpuSeconds(process.pid);
  return { own, children: cpuSecondsOf(processTree(process.pid).filter((pid) => pid !== process.pid)) };
}

/** Stores `events` events with chaining on or off. */
async function round(pgAdminUrl: string, chain: boolean): Promise<RoundResult> {
  const cp = await startTestControlPlane(pgAdminUrl, { KEYWARD_AUDIT_CHAIN: String(chain), LOG_LEVEL: 'warn' });
  try {
    const owner = await createOrgWithMember(cp, 'owner');
    const key = await owner.gql<{ createKey: { key: { id: string } } }>('mutation { createKey(input: { name: "bench", ownerLabel: "bench" }) { key { id } } }');
    const keyId = key.data!.createKey.key.id;
    const tokens = await Promise.all(Array.from({ length: nodes }, (_, i) => createNodeTokenFor(owner, `bench-${i}`)));
    const batches = Array.from({ length: Math.ceil(events / BATCH) }, (_, i) =>
      Array.from({ length: Math.min(BATCH, events - i * BATCH) }, () => usageEvent(owner.orgId, keyId)),
    );
    // One warm-up batch, not counted.
    await postEvents(cp, tokens[0]!, { type: 'events', nodeId: 'bench-0', events: [usageEvent(owner.orgId, keyId)] });
    const started = process.hrtime.bigint();
    const cpuBefore = cpuNow();
    let next = 0;
    await Promise.all(
      tokens.map(async (token, node) => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const res = await postEvents(cp, token, { type: 'events', nodeId: `bench-${node}`, events: batch });
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = cpuNow();
    const perThousand = (cpu: number) => (cpu * 1e6) / events;
    return { rate: events / seconds, cpMs: perThousand(cpuAfter.own - cpuBefore.own), pgMs: perThousand(cpuAfter.children - cpuBefore.children) };
  } finally {
    await cp.close();
  }
}

async function main() {
  let pgAdminUrl = values['pg-admin-url'];
  let stop = async () => undefined;
  if (!pgAdminUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'keyward-bench-pg-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o777);
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), ephemeral: true });
    pgAdminUrl = pg.adminUrl;
    stop = async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  try {
    const results: Record<'off' | 'on', RoundResult[]> = { off: [], on: [] };
    for (let r = 0; r < rounds; r += 1) {
      for (const chain of r % 2 ? [true, false] : [false, true]) {
        const result = await round(pgAdminUrl, chain);
        results[chain ? 'on' : 'off'].push(result);
        console.log(
          `round ${r + 1}, chain ${chain ? 'on ' : 'off'}: ${Math.round(result.rate).toLocaleString('en')} events/s, CPU per 1,000 events ${result.cpMs.toFixed(0)} ms here + ${result.pgMs.toFixed(0)} ms PostgreSQL`,
        );
      }
    }
    const cell = (values: number[], digits = 0) => {
      const { median, min, max } = spread(values);
      const f = (v: number) => v.toLocaleString('en', { maximumFractionDigits: digits });
      return `${f(median)} (${f(min)}–${f(max)})`;
    };
    console.log(`\n| audit chain | events/s | CPU ms per 1,000 events: control plane | PostgreSQL |\n| --- | --- | --- | --- |`);
    for (const mode of ['off', 'on'] as const) {
      const rs = results[mode];
      console.log(`| ${mode} | ${cell(rs.map((x) => x.rate))} | ${cell(rs.map((x) => x.cpMs))} | ${cell(rs.map((x) => x.pgMs))} |`);
    }
    const [off, on] = [spread(results.off.map((x) => x.rate)).median, spread(results.on.map((x) => x.rate)).median];
    console.log(
      `\nMedians (ranges) of ${rounds} rounds; ${events.toLocaleString('en')} events, ${nodes} nodes, batches of ${BATCH}: chaining costs ${(((off - on) / off) * 100).toFixed(1)}% of ingest throughput.`,
    );
    if (values['pg-admin-url']) console.log('PostgreSQL runs elsewhere (--pg-admin-url): its CPU is not measured.');
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(`ingest-chain bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
