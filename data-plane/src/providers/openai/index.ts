import type { Operation } from '../types.js';
import { chatCompletions } from './chat-completions/index.js';
import { embeddings } from './embeddings/index.js';
import { responses } from './responses/index.js';

export { openaiApi } from './api.js';

/** The proxied OpenAI operations, one line per folder. */
export const openaiOperations: readonly Operation[] = [chatCompletions, responses, embeddings];
