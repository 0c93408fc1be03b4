import { randomBytes } from 'node:crypto';
import type * as Grpc from '@grpc/grpc-js';
import type { protos as KmsProtos } from '@google-cloud/kms';
import { AES_KEY_BYTES, gcmDecrypt, gcmEncrypt, packGcm, unpackGcm } from '../aes-gcm.js';
import { crc32c } from '../crc32c.js';

type EncryptRequest = KmsProtos.google.cloud.kms.v1.EncryptRequest;
type DecryptRequest = KmsProtos.google.cloud.kms.v1.DecryptRequest;
type EncryptResponse = KmsProtos.google.cloud.kms.v1.IEncryptResponse;
type DecryptResponse = KmsProtos.google.cloud.kms.v1.IDecryptResponse;

/** A running fake Cloud KMS. */
export interface FakeGcpKms {
  /** Host to pass as the client's `apiEndpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** `http://host:port`, the form `createKms`'s `gcpEndpoint` option takes (plaintext gRPC). */
  readonly url: string;
  /** The one CryptoKey the fake serves. */
  readonly keyName: string;
  /** Adds a key version and makes it primary; older versions keep decrypting, as in Cloud KMS. */
  rotateKey(): void;
  /** How many Encrypt and Decrypt calls the fake has answered. */
  readonly calls: { encrypt: number; decrypt: number };
  close(): Promise<void>;
}

const SERVICE = 'google.cloud.kms.v1.KeyManagementService';
const KEY_NAME = 'projects/keyward-test/locations/global/keyRings/keyward/cryptoKeys/credentials';
/** Cloud KMS's limit on plaintext and AAD size for symmetric encryption. */
const MAX_INPUT_BYTES = 64 * 1024;
/** Ciphertext layout: 4-byte key version number, then GCM iv ‖ ciphertext ‖ tag. */
const VERSION_HEADER_BYTES = 4;
const SOFTWARE = 1;

/**
 * Starts an in-process gRPC server that speaks Cloud KMS's Encrypt and Decrypt, so tests run
 * the real `@google-cloud/kms` client code path. Like the real service it encrypts under the
 * CryptoKey's primary version, embeds the version in the ciphertext, rejects a wrong AAD with
 * INVALID_ARGUMENT, verifies the request CRC32C fields it is sent and fills in the response ones.
 * Listens on 127.0.0.1 with plaintext gRPC: pass `grpc.credentials.createInsecure()` as `sslCreds`.
 */
export async function startFakeGcpKms(): Promise<FakeGcpKms> {
  const grpc = await import('@grpc/grpc-js');
  const { protos } = await import('@google-cloud/kms');
  const v1 = protos.google.cloud.kms.v1;
  const versions: Buffer[] = [randomBytes(AES_KEY_BYTES)];
  let primary = 1;
  const calls = { encrypt: 0, decrypt: 0 };

  const fail = (code: Grpc.status, details: string) => Object.assign(new Error(details), { code, details });

  function encrypt(req: EncryptRequest): EncryptResponse {
    const keyName = req.name.replace(/\/cryptoKeyVersions\/\d+$/, '');
    if (keyName !== KEY_NAME) throw fail(grpc.status.NOT_FOUND, `CryptoKey ${req.name} not found.`);
    const plaintext = Buffer.from(req.plaintext);
    const aad = Buffer.from(req.additionalAuthenticatedData);
    if (plaintext.length > MAX_INPUT_BYTES) throw fail(grpc.status.INVALID_ARGUMENT, 'The plaintext is too large.');
    checkCrc(req.plaintextCrc32c, plaintext, 'plaintext');
    checkCrc(req.additionalAuthenticatedDataCrc32c, aad, 'additional_authenticated_data');
    const header = Buffer.alloc(VERSION_HEADER_BYTES);
    header.writeUInt32BE(primary);
    const ciphertext = Buffer.concat([header, packGcm(gcmEncrypt(versions[primary - 1], plaintext, aad))]);
    return {
      name: `${KEY_NAME}/cryptoKeyVersions/${primary}`,
      ciphertext,
      ciphertextCrc32c: { value: crc32c(ciphertext) },
      verifiedPlaintextCrc32c: req.plaintextCrc32c != null,
      verifiedAdditionalAuthenticatedDataCrc32c: req.additionalAuthenticatedDataCrc32c != null,
      protectionLevel: SOFTWARE,
    };
  }

  function decrypt(req: DecryptRequest): DecryptResponse {
    if (req.name !== KEY_NAME) throw fail(grpc.status.NOT_FOUND, `CryptoKey ${req.name} not found.`);
    const ciphertext = Buffer.from(req.ciphertext);
    const aad = Buffer.from(req.additionalAuthenticatedData);
    checkCrc(req.ciphertextCrc32c, ciphertext, 'ciphertext');
    checkCrc(req.additionalAuthenticatedDataCrc32c, aad, 'additional_authenticated_data');
    const version = ciphertext.length >= VERSION_HEADER_BYTES ? ciphertext.readUInt32BE(0) : 0;
    const parts = unpackGcm(ciphertext.subarray(VERSION_HEADER_BYTES));
    const key = versions[version - 1];
    const plaintext = key && parts ? gcmDecrypt(key, parts, aad) : null;
    if (!plaintext) throw fail(grpc.status.INVALID_ARGUMENT, 'Decryption failed: the ciphertext is invalid.');
    return {
      plaintext,
      plaintextCrc32c: { value: crc32c(plaintext) },
      usedPrimary: version === primary,
      protectionLevel: SOFTWARE,
    };
  }

  function checkCrc(field: { value?: unknown } | null | undefined, data: Buffer, fieldName: string): void {
    if (field == null) return;
    if (Number(String(field.value)) !== crc32c(data)) {
      throw fail(grpc.status.INVALID_ARGUMENT, `The checksum in field ${fieldName}_crc32c did not match the data in field ${fieldName}.`);
    }
  }

  function unary<Req, Res>(handle: (req: Req) => Res, counter: keyof typeof calls): Grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      calls[counter]++;
      try {
        callback(null, handle(call.request));
      } catch (err) {
        callback(err as Grpc.ServiceError);
      }
    };
  }

  const definition: Grpc.ServiceDefinition = {
    Encrypt: {
      path: `/${SERVICE}/Encrypt`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: EncryptRequest) => Buffer.from(v1.EncryptRequest.encode(m).finish()),
      requestDeserialize: (b: Buffer) => v1.EncryptRequest.decode(b),
      responseSerialize: (m: EncryptResponse) => Buffer.from(v1.EncryptResponse.encode(v1.EncryptResponse.fromObject(m)).finish()),
      responseDeserialize: (b: Buffer) => v1.EncryptResponse.decode(b),
    },
    Decrypt: {
      path: `/${SERVICE}/Decrypt`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: DecryptRequest) => Buffer.from(v1.DecryptRequest.encode(m).finish()),
      requestDeserialize: (b: Buffer) => v1.DecryptRequest.decode(b),
      responseSerialize: (m: DecryptResponse) => Buffer.from(v1.DecryptResponse.encode(v1.DecryptResponse.fromObject(m)).finish()),
      responseDeserialize: (b: Buffer) => v1.DecryptResponse.decode(b),
    },
  };

  const server = new grpc.Server();
  server.addService(definition, {
    Encrypt: unary(encrypt, 'encrypt'),
    Decrypt: unary(decrypt, 'decrypt'),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  return {
    endpoint: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    keyName: KEY_NAME,
    calls,
    rotateKey() {
      versions.push(randomBytes(AES_KEY_BYTES));
      primary = versions.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // A client that was never closed keeps its channel open; do not let it hold the test up.
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
