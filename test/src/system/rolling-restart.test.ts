import OpenAI from 'openai';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fleetCredential, fleetKey, prepareFleetGround, type FleetGround } from '../support/fleet.js';
import { startLoadBalancer, type LoadBalancer } from '../support/load-balancer.js';
import type { PlaneProcess } from '../support/plane-process.js';
import { eventually } from '../support/system.js';

let ground: FleetGround | undefined;
let balancer: LoadBalancer | undefined;
afterAll(async () => {
  await balancer?.close();
  await ground?.close();
});

/**
 * A zero-downtime upgrade as an operator does it: two control planes and two data planes
 * behind a load balancer, each restarted in turn with SIGTERM under steady traffic from the
 * official OpenAI client — whole answers and one-second streams — that never stops.
 */
describe('a rolling restart of every control plane and data plane, one at a time, under load', () => {
  it('fails no request, finishes every stream in flight on a draining node and stores every request once', async () => {
    const started = Date.now();
    const phases: string[] = [];
    const mark = (phase: string) => phases.push(`${phase} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    ground = await prepareFleetGround(inject('pgAdminUrl'));
    const { mock } = ground;
    // Every answer takes about a second, in ten chunks when streamed: a drain always has work.
    mock.setBehaviour({ chunks: 10, intervalMs: 100, usage: { inputTokens: 12, outputTokens: 10 } });

    const cpSettings = [await ground.controlPlane(0), await ground.controlPlane(1)];
    const controlPlanes: PlaneProcess[] = await Promise.all(cpSettings.map((s) => s.start()));
    const token = await ground.ownerToken();
    await fleetCredential(controlPlanes[0]!, token, mock);
    const { secret } = await fleetKey(controlPlanes[0]!, token, 'rolling');
    const cpUrls = controlPlanes.map((cp) => cp.url);
    const dpSettings = [await ground.dataPlane(0, cpUrls), await ground.dataPlane(1, [...cpUrls].reverse())];
    const dataPlanes: PlaneProcess[] = await Promise.all(dpSettings.map((s) => s.start()));
    balancer = await startLoadBalancer(() => dpSettings.map((s) => `http://127.0.0.1:${s.port}`));
    const client = new OpenAI({ apiKey: secret, baseURL: `${balancer.url}/v1`, maxRetries: 0, timeout: 60_000 });
    for (const node of dataPlanes) {
      const direct = new OpenAI({ apiKey: secret, baseURL: `${node.url}/v1`, maxRetries: 0 });
      await eventually(
        () => direct.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).then(() => true),
        20_000,
        `the key on ${node.url}`,
      );
    }
    mark('fleet ready');

    // Four clients: two ask for whole answers, two stream, each one request after another.
    const completed: string[] = [];
    const failures: string[] = [];
    let running = true;
    const loops = [false, false, true, true].map(async (stream) => {
      while (running) {
        try {
          if (stream) {
            const { data, response } = await client.chat.completions
              .create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count to ten' }] })
              .withResponse();
            let chunks = 0;
            for await (const chunk of data) if (chunk.choices[0]?.delta.content) chunks += 1;
            if (chunks !== 10) throw new Error(`a stream ended after ${chunks} of 10 chunks`);
            completed.push(response.headers.get('x-request-id')!);
          } else {
            const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
            completed.push(response.headers.get('x-request-id')!);
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    const flowing = async (what: string) => {
      const before = completed.length;
      await eventually(() => (completed.length >= before + 8 ? true : undefined), 30_000, `traffic ${what}`);
    };
    await flowing('before the restarts');

    for (const [i, settings] of cpSettings.entries()) {
      await controlPlanes[i]!.stop();
      controlPlanes[i] = await settings.start();
      await flowing(`after control plane ${i} restarted`);
      mark(`control plane ${i} restarted`);
    }
    for (const [i, settings] of dpSettings.entries()) {
      // SIGTERM: the node stops taking connections (the balancer sends new requests to the
      // other one), finishes what it serves, ships its events and exits.
      await dataPlanes[i]!.stop();
      expect(await dataPlanes[i]!.exited).toBe(0);
      expect(dataPlanes[i]!.logs.join('\n')).not.toContain('drain deadline passed');
      dataPlanes[i] = await settings.start();
      await flowing(`after data plane ${i} restarted`);
      mark(`data plane ${i} restarted`);
    }
    running = false;
    await Promise.all(loops);

    expect(failures).toEqual([]);
    expect(new Set(completed).size).toBe(completed.length);
    const stored = await eventually(
      async () => {
        const { rows } = await ground!.db.query<{ request_id: string; copies: number }>(
          'select request_id, count(*)::int as copies from usage_events where request_id = any($1) group by request_id',
          [completed],
        );
        return rows.length === completed.length ? rows : undefined;
      },
      30_000,
      'an event for every completed request',
    );
    expect(stored.filter((row) => row.copies !== 1)).toEqual([]);
    mark('every event stored');
    console.info(
      `rolling restart: ${completed.length} requests completed, ${failures.length} failed, ` +
        `${balancer.retried} passed on by the balancer from a stopping node; ${phases.join(', ')}`,
    );
  }, 240_000);
});
