export * from './ids.js';
export * from './keys/index.js';
export * from './wire/config.js';
export * from './wire/events.js';
