import { MEDIA_PART_TYPES } from '../codec/transcript.js';
import { get, list, mapList, mapStringField, str, joinTexts, type TextMap } from '../codec/walk.js';

/** Roles whose messages are the system prompt. */
export const SYSTEM_ROLES = new Set(['system', 'developer']);

/** The text of a message `content`: a string, or the `text` of its parts. */
export function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  return joinTexts(list(content).map((part) => str(get(part, 'text'))));
}

/** How many media parts (images, audio, files) a `content` carries. */
export function partsMedia(content: unknown): number {
  return list(content).filter((part) => MEDIA_PART_TYPES.has(str(get(part, 'type')))).length;
}

/** Rewrites a `content` that is a string or a list of parts carrying `text`. */
export function mapPartsText(content: unknown, f: TextMap): unknown {
  if (typeof content === 'string') return f(content);
  if (!Array.isArray(content)) return content;
  return mapList(content, (part) => mapStringField(part, 'text', f));
}

/** The name a tool offered in `tools` goes by. */
export function toolName(tool: unknown): string {
  // Function tools name themselves under `function` (chat) or at the top (Responses); built-in
  // tools (web_search, file_search…) are known by their type.
  return str(get(get(tool, 'function'), 'name')) || str(get(get(tool, 'custom'), 'name')) || str(get(tool, 'name')) || str(get(tool, 'type'));
}
