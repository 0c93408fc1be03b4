import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * One vitest run covers every package. Packages import each other through their built `dist`
 * in production; tests alias them to source so a change needs no rebuild. graphql is pinned to
 * one copy (CJS) because vitest would otherwise load it twice and type-graphql would reject
 * "another module or realm" schema objects.
 */
const alias = {
  graphql: require.resolve('graphql', { paths: [here('./control-plane')] }),
  '@keyward/shared': here('./shared/src/index.ts'),
  '@keyward/control-plane/testing': here('./control-plane/src/testing/index.ts'),
  '@keyward/control-plane': here('./control-plane/src/index.ts'),
  '@keyward/data-plane/testing': here('./data-plane/src/testing/index.ts'),
  '@keyward/data-plane': here('./data-plane/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: [here('./test/src/support/global-setup.ts')],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      { extends: true, test: { name: 'shared', include: ['shared/src/**/*.test.ts'] } },
      // Two files at a time: each control-plane test file has a database of its own, and most of its time is import and I/O.
      // Projects whose worker counts differ run as groups, one after another.
      { extends: true, test: { name: 'control-plane', include: ['control-plane/src/**/*.test.ts'], maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'data-plane', include: ['data-plane/src/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/src/**/*.test.ts'], fileParallelism: false } },
      // The console is a browser app: its own config (Vue plugin, happy-dom) and none of the server setup above.
      here('./console/vitest.config.ts'),
    ],
  },
});
