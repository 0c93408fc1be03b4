import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { openSecret, sealSecret, type Kms } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';

/** A published checkpoint-signing key. */
export interface PublicSigningKey {
  readonly keyId: string;
  readonly algorithm: 'Ed25519';
  /** SPKI DER, base64. */
  readonly publicKey: string;
  readonly createdAt: Date;
}

const signingKeyAad = (keyId: string) => `audit-signing-key:${keyId}`;

/** One installation creates its key once, whichever control-plane instance gets there first. */
const KEY_LOCK = "select pg_advisory_xact_lock(hashtext('keyward:audit-signing-key'))";

/**
 * Signs audit checkpoints with the installation's Ed25519 key, created on first use and kept
 * envelope-encrypted under the KMS (`AuditSigningKey`). The private key is opened once per
 * process and held only as a `KeyObject`; it is never logged, returned or exported.
 */
export class AuditSigner {
  private opened: Promise<{ keyId: string; privateKey: KeyObject }> | null = null;

  constructor(
    private readonly kms: Kms,
    private readonly fork: () => EntityManager,
  ) {}

  /** Signs the message `build` makes for the current key's id; returns that id and the base64 signature. */
  async sign(build: (keyId: string) => string): Promise<{ keyId: string; signature: string }> {
    const { keyId, privateKey } = await this.key();
    return { keyId, signature: sign(null, Buffer.from(build(keyId), 'utf8'), privateKey).toString('base64') };
  }

  /** Opens the key (creating it on the installation's first start), so its public half is published. */
  async keyId(): Promise<string> {
    return (await this.key()).keyId;
  }

  private key(): Promise<{ keyId: string; privateKey: KeyObject }> {
    this.opened ??= this.open().catch((error: unknown) => {
      this.opened = null;
      throw error;
    });
    return this.opened;
  }

  /** Every key that ever signed a checkpoint here, oldest first. */
  publicKeys(): Promise<PublicSigningKey[]> {
    return publicSigningKeys(this.fork());
  }

  private async open(): Promise<{ keyId: string; privateKey: KeyObject }> {
    const em = this.fork();
    return em.transactional(async (tx) => {
      await sqlRows(tx as EntityManager, KEY_LOCK);
      const [stored] = await sqlRows<{ keyId: string; kekId: string; wrappedKey: string; iv: string; ciphertext: string; tag: string }>(
        tx as EntityManager,
        'select key_id as "keyId", kek_id as "kekId", wrapped_key as "wrappedKey", iv, ciphertext, tag from audit_signing_keys where ciphertext is not null order by created_at desc limit 1',
      );
      if (stored) {
        const pem = await openSecret(this.kms, stored, signingKeyAad(stored.keyId));
        return { keyId: stored.keyId, privateKey: createPrivateKey(pem) };
      }
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const keyId = createHash('sha256').update(spki).digest('hex').slice(0, 16);
      const sealed = await sealSecret(this.kms, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, signingKeyAad(keyId));
      await sqlRows(
        tx as EntityManager,
        `insert into audit_signing_keys (id, key_id, public_key, kek_id, wrapped_key, iv, ciphertext, tag)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
        [keyId, spki.toString('base64'), sealed.kekId, sealed.wrappedKey, sealed.iv, sealed.ciphertext, sealed.tag],
      );
      return { keyId, privateKey };
    });
  }
}

/** Every checkpoint-signing key of the installation, oldest first, public halves only. */
export async function publicSigningKeys(em: EntityManager): Promise<PublicSigningKey[]> {
  const rows = await sqlRows<{ keyId: string; publicKey: string; createdAt: string | Date }>(
    em,
    'select key_id as "keyId", public_key as "publicKey", created_at as "createdAt" from audit_signing_keys order by created_at, key_id',
  );
  return rows.map((row) => ({ ...row, algorithm: 'Ed25519' as const, createdAt: new Date(row.createdAt) }));
}
