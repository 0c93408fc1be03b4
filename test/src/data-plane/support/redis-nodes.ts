import { startRedisServer, type RedisServer } from '@keyward/data-plane/testing';
import { startTestDataPlane, type TestDataPlane, type TestDataPlaneOptions } from './data-plane.js';

/** Data-plane nodes sharing one Redis (`REDIS_URL`), with ids `node-0`, `node-1`, …; `close` stops the nodes, then Redis. */
export interface RedisNodes {
  readonly redis: RedisServer;
  readonly nodes: readonly TestDataPlane[];
  close(): Promise<void>;
}

/** Starts a Redis server and `count` nodes that share it. */
export async function startRedisNodes(options: Omit<TestDataPlaneOptions, 'env'>, count = 2): Promise<RedisNodes> {
  const redis = await startRedisServer();
  const nodes: TestDataPlane[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await startTestDataPlane({ ...options, env: { REDIS_URL: redis.url, KEYWARD_NODE_ID: `node-${i}` } }));
  }
  return {
    redis,
    nodes,
    async close() {
      for (const node of nodes) await node.close();
      await redis.stop();
    },
  };
}
