export * from './robust-stat.js';
export * from './novelty.js';
export * from './baseline.js';
export * from './activity-window.js';
export * from './score.js';
export * from './user-agent.js';
export * from './wire-baseline.js';
export * from './actions.js';
