export * from './reasons.js';
export * from './token.js';
export * from './keys.js';
export * from './verify.js';
export * from './scope.js';
