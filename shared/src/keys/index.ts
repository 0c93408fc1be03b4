export * from './secret-format.js';
export * from './hash.js';
export * from './sign-in-code.js';
