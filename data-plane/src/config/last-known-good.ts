import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateConfigMessage, type ConfigSnapshot } from '@keyward/shared';
import { writeFileAtomic } from '../storage/atomic-write.js';

const FILE = 'config.json';

/**
 * Stores the snapshot a node serves as `${stateDir}/config.json`, atomically and with mode 0600
 * (it holds wrapped credentials and key hashes, never plaintext), for the next start when the
 * control plane is away.
 */
export async function saveLastKnownGood(stateDir: string, snapshot: ConfigSnapshot): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(stateDir, FILE), JSON.stringify(snapshot));
}

/**
 * Reads the stored snapshot back through the wire validator. Null when there is none; throws
 * (with the validator's sentence) when the file is there but unusable.
 */
export async function loadLastKnownGood(stateDir: string): Promise<ConfigSnapshot | null> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const message = validateConfigMessage(JSON.parse(text));
  if (message.type !== 'snapshot') throw new Error(`${FILE} holds a config delta, not a snapshot`);
  return message;
}
