export * from './model-price.js';
export * from './catalog.js';
export * from './find-price.js';
export * from './cost.js';
export * from './tokens.js';
export * from './org-price.js';
export * from './request-ceiling.js';
export * from './served-models.js';
