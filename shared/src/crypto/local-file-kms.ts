import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { AES_KEY_BYTES, gcmDecrypt, gcmEncrypt, packGcm, unpackGcm } from './aes-gcm.js';
import { KmsError, SecretDecryptError, type Kms } from './kms.js';

const FILE_FORMAT = 'keyward-kms-keys/1';
const KEK_ID_PREFIX = 'local:';

/** Options for `LocalFileKms.open`. */
export interface LocalFileKmsOpenOptions {
  /** Create the key file (mode 0600, one fresh KEK) when it does not exist yet. */
  readonly create: boolean;
}

interface KeyFile {
  readonly format: typeof FILE_FORMAT;
  readonly primary: string;
  readonly keks: readonly { readonly id: string; readonly key: string; readonly createdAt: string }[];
}

interface Kek {
  readonly key: Buffer;
  readonly createdAt: string;
}

/**
 * A KMS whose KEKs live in a local JSON file (or one KEK from the environment). Suited to a
 * single-host install; for anything larger use a cloud KMS so KEKs never sit on disk. Wrapping is
 * AES-256-GCM with the row's associated data bound in.
 *
 * KEK ids are `local:` plus a fingerprint of the key, so the same KEK has the same id whether it
 * comes from the file or the environment.
 */
export class LocalFileKms implements Kms {
  readonly name = 'local';

  private constructor(
    private readonly keks: Map<string, Kek>,
    private primary: string,
    private readonly path: string | null,
  ) {}

  /**
   * Opens a key file, creating it with mode 0600 and one KEK when `create` is set and it is
   * missing. Refuses a file that group or others can access, since it holds every KEK in the clear.
   */
  static async open(path: string, options: LocalFileKmsOpenOptions): Promise<LocalFileKms> {
    const existing = await readKeyFile(path);
    if (existing) return new LocalFileKms(existing.keks, existing.primary, path);
    if (!options.create) throw new KmsError(`KMS key file ${path} does not exist; create it or allow creation on first use`);
    const key = randomBytes(AES_KEY_BYTES);
    const id = fingerprint(key);
    const kms = new LocalFileKms(new Map([[id, { key, createdAt: new Date().toISOString() }]]), id, path);
    try {
      await kms.persist('wx');
    } catch (err) {
      // Another process created it between our read and write: use theirs.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return LocalFileKms.open(path, { create: false });
      throw err;
    }
    return kms;
  }

  /**
   * A KMS holding a single KEK given as base64 of 32 bytes (e.g. from an environment variable).
   * It cannot rotate: rotation needs somewhere to keep the old KEK.
   */
  static fromKeyMaterial(base64: string): LocalFileKms {
    const key = decodeKey(base64);
    if (key === null) throw new KmsError('KMS key material must be base64 of exactly 32 bytes');
    const id = fingerprint(key);
    return new LocalFileKms(new Map([[id, { key, createdAt: new Date(0).toISOString() }]]), id, null);
  }

  primaryKekId(): string {
    return KEK_ID_PREFIX + this.primary;
  }

  /** Ids of every KEK this KMS can unwrap with, primary first. */
  kekIds(): string[] {
    return [this.primary, ...[...this.keks.keys()].filter((id) => id !== this.primary)].map((id) => KEK_ID_PREFIX + id);
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<{ kekId: string; wrapped: Buffer }> {
    const kek = this.keks.get(this.primary)!;
    return { kekId: this.primaryKekId(), wrapped: packGcm(gcmEncrypt(kek.key, dataKey, aad)) };
  }

  async unwrap(kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (!kekId.startsWith(KEK_ID_PREFIX)) {
      throw new SecretDecryptError(`secret could not be decrypted: KEK "${kekId}" does not belong to the local KMS`);
    }
    const id = kekId.slice(KEK_ID_PREFIX.length);
    // A KEK rotated in by another process (an admin command) appears in the file, not in memory.
    if (!this.keks.has(id) && this.path !== null) await this.reload();
    const kek = this.keks.get(id);
    if (!kek) throw new SecretDecryptError(`secret could not be decrypted: KEK "${kekId}" is not in the local KMS`);
    const parts = unpackGcm(wrapped);
    const dataKey = parts && gcmDecrypt(kek.key, parts, aad);
    if (!dataKey) throw new SecretDecryptError();
    return dataKey;
  }

  /**
   * Adds a fresh KEK and makes it primary; older KEKs stay for unwrapping until removed.
   * Returns the new primary KEK id.
   */
  async rotate(): Promise<string> {
    const path = this.requirePath('rotate');
    const key = randomBytes(AES_KEY_BYTES);
    const id = fingerprint(key);
    const previous = this.primary;
    this.keks.set(id, { key, createdAt: new Date().toISOString() });
    this.primary = id;
    try {
      await this.persist('w');
    } catch (err) {
      this.keks.delete(id);
      this.primary = previous;
      throw new KmsError(`could not write KMS key file ${path}: ${(err as Error).message}`);
    }
    return this.primaryKekId();
  }

  /**
   * Removes a retired KEK. Anything still wrapped under it becomes undecryptable, so re-wrap
   * every sealed secret (`rewrapSealed`) first. The primary KEK cannot be removed.
   */
  async removeKek(kekId: string): Promise<void> {
    this.requirePath('remove a KEK');
    const id = kekId.startsWith(KEK_ID_PREFIX) ? kekId.slice(KEK_ID_PREFIX.length) : kekId;
    if (id === this.primary) throw new KmsError(`KEK "${kekId}" is the primary KEK; rotate before removing it`);
    const kek = this.keks.get(id);
    if (!kek) throw new KmsError(`KEK "${kekId}" is not in the local KMS`);
    this.keks.delete(id);
    try {
      await this.persist('w');
    } catch (err) {
      this.keks.set(id, kek);
      throw err;
    }
  }

  private requirePath(action: string): string {
    if (this.path === null) throw new KmsError(`a KMS built from key material cannot ${action}; use a key file`);
    return this.path;
  }

  private async reload(): Promise<void> {
    const fresh = await readKeyFile(this.path!);
    if (!fresh) return;
    for (const [id, kek] of fresh.keks) if (!this.keks.has(id)) this.keks.set(id, kek);
  }

  /** Writes the whole file to a 0600 temporary file and renames it over the old one, so a crash never leaves half a key file. */
  private async persist(flag: 'wx' | 'w'): Promise<void> {
    const path = this.path!;
    const body: KeyFile = {
      format: FILE_FORMAT,
      primary: this.primary,
      keks: [...this.keks].map(([id, kek]) => ({ id, key: kek.key.toString('base64'), createdAt: kek.createdAt })),
    };
    const text = JSON.stringify(body, null, 2) + '\n';
    if (flag === 'wx') {
      await writeFile(path, text, 'wx');
      return;
    }
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, text, 'wx');
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }
}

async function writeFile(path: string, text: string, flag: 'wx'): Promise<void> {
  // The mode applies at creation, so the key never exists on disk with wider permissions.
  const handle = await open(path, flag, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readKeyFile(path: string): Promise<{ keks: Map<string, Kek>; primary: string } | null> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KmsError(`cannot read KMS key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!info.isFile()) throw new KmsError(`KMS key file ${path} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new KmsError(`KMS key file ${path} has mode ${mode} and must not be accessible by group or others; run chmod 600 on it`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new KmsError(`KMS key file ${path} is not valid JSON`);
  }
  return parseKeyFile(parsed, path);
}

function parseKeyFile(value: unknown, path: string): { keks: Map<string, Kek>; primary: string } {
  const file = value as Partial<KeyFile> | null;
  if (typeof file !== 'object' || file === null || file.format !== FILE_FORMAT) {
    throw new KmsError(`KMS key file ${path} must have "format": "${FILE_FORMAT}"`);
  }
  if (!Array.isArray(file.keks) || file.keks.length === 0) throw new KmsError(`KMS key file ${path} must list at least one KEK in "keks"`);
  const keks = new Map<string, Kek>();
  file.keks.forEach((entry, index) => {
    const key = typeof entry?.key === 'string' ? decodeKey(entry.key) : null;
    if (key === null) throw new KmsError(`KMS key file ${path}: "keks[${index}].key" must be base64 of exactly 32 bytes`);
    if (entry.id !== fingerprint(key)) throw new KmsError(`KMS key file ${path}: "keks[${index}].id" does not match its key`);
    keks.set(entry.id, { key, createdAt: typeof entry.createdAt === 'string' ? entry.createdAt : new Date(0).toISOString() });
  });
  if (typeof file.primary !== 'string' || !keks.has(file.primary)) {
    throw new KmsError(`KMS key file ${path}: "primary" must be the id of one of its KEKs`);
  }
  return { keks, primary: file.primary };
}

function decodeKey(base64: string): Buffer | null {
  const trimmed = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === AES_KEY_BYTES ? key : null;
}

/** A stable, non-secret name for a KEK: 16 hex characters of a domain-separated SHA-256. */
function fingerprint(key: Buffer): string {
  return createHash('sha256').update('keyward-kek-id\0').update(key).digest('hex').slice(0, 16);
}
