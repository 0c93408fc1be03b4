import { expect } from 'vitest';

/** Asserts that no captured log line contains any of the secrets a test created. */
export function expectNoSecretsIn(logs: readonly string[], secrets: readonly string[]): void {
  expect(logs.length).toBeGreaterThan(0);
  for (const line of logs) {
    for (const secret of secrets) {
      if (line.includes(secret)) throw new Error(`a log line contains a secret: ${line.slice(0, 120)}…`);
    }
  }
}
