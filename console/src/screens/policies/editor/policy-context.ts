/** An object of the policy language as the control plane describes it (`policyLanguage`). */
export interface LanguageObject {
  readonly name: string;
  readonly doc: string;
  readonly fields: readonly { name: string; doc: string; values?: readonly string[] | null; object?: string | null; list?: boolean | null }[];
}
export type LanguageField = LanguageObject['fields'][number];

/**
 * Where the cursor is in a policy text: the keys leading to the object it is in, and whether a
 * key or the value of `field` is being typed. Lists do not appear in `path` (a list field leads
 * to the object each of its items holds).
 */
export interface CursorContext {
  readonly path: readonly string[];
  readonly mode: 'key' | 'value';
  /** The field whose value is being typed (mode `value`). */
  readonly field: string | null;
}

interface Frame {
  readonly bracket: '{' | '[';
  /** The key whose value the bracket opened, if any. */
  readonly key: string | null;
}

/**
 * Reads flow-style text (JSON, or a YAML line's `{ … }` and `[ … ]`) up to its end: the open
 * brackets with the key each belongs to, and whether a key's value has started.
 */
function readFlow(text: string): { frames: Frame[]; lastKey: string | null; afterColon: boolean } {
  const frames: Frame[] = [];
  let lastKey: string | null = null;
  let afterColon = false;
  let word = '';
  let i = 0;
  const keyOfBracket = () => (afterColon ? lastKey : null);
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== ch) j += text[j] === '\\' && ch === '"' ? 2 : 1;
      word = text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (ch === ':' && (i + 1 >= text.length || /[\s{["']/.test(text[i + 1]!))) {
      lastKey = word.trim() || null;
      afterColon = true;
      word = '';
    } else if (ch === '{' || ch === '[') {
      frames.push({ bracket: ch, key: keyOfBracket() });
      afterColon = false;
      word = '';
    } else if (ch === '}' || ch === ']') {
      frames.pop();
      afterColon = false;
      word = '';
    } else if (ch === ',') {
      afterColon = false;
      word = '';
    } else if (ch === '\n') {
      word = '';
    } else if (!afterColon || /\S/.test(ch)) {
      word += ch;
    }
    i++;
  }
  return { frames, lastKey, afterColon };
}

/** The column where a YAML line's key starts (after its indentation and `- ` item markers). */
function keyColumn(line: string): number {
  return /^[ \t]*(?:-[ \t]+)*/.exec(line)![0].length;
}

/** The keys of the YAML block mappings enclosing a line whose key starts at `column`, outermost first. */
function yamlParents(lines: readonly string[], column: number): string[] {
  const parents: string[] = [];
  let need = column;
  for (let i = lines.length - 1; i >= 0 && need > 0; i--) {
    const line = lines[i]!;
    const content = line.trim();
    if (content === '' || content.startsWith('#')) continue;
    const col = keyColumn(line);
    if (col >= need) continue;
    // Only a key with nothing after it opens a block that a deeper line belongs to.
    const key = /^["']?([\w-]+)["']?\s*:\s*(?:#.*)?$/.exec(line.slice(col));
    if (!key) continue;
    parents.unshift(key[1]!);
    need = col;
  }
  return parents;
}

/** What the cursor at `pos` is typing in a policy text of the given format. */
export function cursorContext(source: string, pos: number, format: 'JSON' | 'YAML'): CursorContext {
  const before = source.slice(0, pos);
  let path: string[];
  let flowText: string;
  if (format === 'JSON') {
    path = [];
    flowText = before;
  } else {
    const lines = before.split('\n');
    const current = lines.pop()!;
    path = yamlParents(lines, keyColumn(current));
    flowText = current.slice(keyColumn(current));
  }
  const flow = readFlow(flowText);
  const frameKeys = flow.frames.map((f) => f.key).filter((k): k is string => k !== null);
  const top = flow.frames[flow.frames.length - 1];
  // A JSON document's own braces hold the document: the first frame has no key.
  if (top?.bracket === '[') return { path: [...path, ...frameKeys.slice(0, -1)], mode: 'value', field: top.key };
  if (flow.afterColon) return { path: [...path, ...frameKeys], mode: 'value', field: flow.lastKey };
  // A YAML `- ` line under a field of plain values is a value of that list.
  if (format === 'YAML' && !top && /^\s*-\s/.test(before.slice(before.lastIndexOf('\n') + 1)) && path.length > 0) {
    return { path: path.slice(0, -1), mode: 'value', field: path[path.length - 1]! };
  }
  return { path: [...path, ...frameKeys], mode: 'key', field: null };
}

/** The object of the language the keys lead to, from the document; null when they lead nowhere known. */
export function objectAt(language: readonly LanguageObject[], path: readonly string[]): LanguageObject | null {
  let object = language.find((o) => o.name === 'document') ?? null;
  for (const key of path) {
    const field = object?.fields.find((f) => f.name === key);
    if (!field?.object) return null;
    object = language.find((o) => o.name === field.object) ?? null;
  }
  return object;
}

/** The field a context's value belongs to. */
export function fieldAt(language: readonly LanguageObject[], context: CursorContext): LanguageField | null {
  if (context.field === null) return null;
  return objectAt(language, context.path)?.fields.find((f) => f.name === context.field) ?? null;
}

/**
 * What may be typed at the cursor: the fields of an object (a key, or the value of a field that
 * holds an object and no fixed values, where its first key goes), or the fixed values of a field.
 */
export function suggestionsAt(
  language: readonly LanguageObject[],
  context: CursorContext,
): { kind: 'keys'; object: LanguageObject } | { kind: 'values'; field: LanguageField } | null {
  if (context.mode === 'key') {
    const object = objectAt(language, context.path);
    return object ? { kind: 'keys', object } : null;
  }
  const field = fieldAt(language, context);
  if (!field) return null;
  if (field.values?.length) return { kind: 'values', field };
  const object = field.object ? objectAt(language, [...context.path, field.name]) : null;
  return object ? { kind: 'keys', object } : null;
}
