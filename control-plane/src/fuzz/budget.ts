import type { Parameters } from 'fast-check';

/**
 * fast-check parameters of a fuzz target: `runs` generated inputs inside `npm test` (a short,
 * fixed budget with a fixed seed, so a run is repeatable), or `KEYWARD_FUZZ_RUNS` with a fresh
 * seed under `npm run fuzz`. A counterexample found either way is added to the target's
 * committed `examples`, which every run replays first.
 */
export function fuzzBudget<T>(runs: number, examples: T[] = []): Parameters<T> {
  const long = Number(process.env.KEYWARD_FUZZ_RUNS);
  return Number.isSafeInteger(long) && long > 0 ? { numRuns: long, examples } : { numRuns: runs, seed: 21, examples };
}
