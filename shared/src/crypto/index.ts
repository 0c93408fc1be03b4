export * from './kms.js';
export * from './envelope.js';
export * from './local-file-kms.js';
export * from './gcp-kms.js';
export * from './create-kms.js';
export * from './testing/fake-gcp-kms.js';
export * from './canonical-json.js';
