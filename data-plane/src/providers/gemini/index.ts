import type { Operation } from '../types.js';
import { generateContent, streamGenerateContent } from './generate-content/index.js';

export { geminiApi } from './api.js';

/** The proxied Gemini operations, one line per folder (`generate-content` serves both methods). */
export const geminiOperations: readonly Operation[] = [generateContent, streamGenerateContent];
