/** What the report says about where it ran, and a scan of the servers' logs for secrets. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';

/** The machine the figures come from. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  readonly os: string;
  /** 1-, 5- and 15-minute load averages when the run started. */
  readonly loadAverageAtStart: readonly number[];
}

/** Describes this machine now. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** Current load averages, rounded. */
export function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

/**
 * Names of the secrets (never their values) found in any of the log files. A missing file is
 * skipped: a server that never started wrote nothing.
 */
export function secretsInLogs(files: readonly string[], secrets: Readonly<Record<string, string>>): string[] {
  const found = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [name, value] of Object.entries(secrets)) {
      if (value.length >= 8 && text.includes(value)) found.add(name);
    }
  }
  return [...found];
}
