import { defineProject, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';

/** The console's component tests: the root vitest config lists this file as the `console` project. */
export default mergeConfig(
  viteConfig,
  defineProject({
    test: { name: 'console', environment: 'happy-dom', include: ['src/**/*.test.ts'] },
  }),
);
