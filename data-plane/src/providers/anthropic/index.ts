import type { Operation } from '../types.js';
import { messages } from './messages/index.js';

export { anthropicApi } from './api.js';

/** The proxied Anthropic operations, one line per folder. */
export const anthropicOperations: readonly Operation[] = [messages];
