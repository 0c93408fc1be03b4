import { field } from '../types.js';

/**
 * Text of a message `content` in any of the shapes the three APIs use: a string, or an array
 * of parts carrying `text` (OpenAI and Anthropic content blocks, Gemini parts).
 */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    const text = field(part, 'text');
    if (typeof text === 'string') texts.push(text);
  }
  return texts.join('\n');
}
