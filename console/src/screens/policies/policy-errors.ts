import { CombinedError } from '@urql/vue';

/** One validation error as the control plane lists it in `extensions.errors`. */
export interface PolicyErrorItem {
  /** Where in the document, e.g. `rules[1].when.all[1].prompt.regex` (empty for the whole document). */
  readonly path: string;
  /** The rule the error is in, when it is in one. */
  readonly rule?: { readonly index: number; readonly id?: string | null } | null;
  readonly message: string;
}

/** The lines (1-based, inclusive) a rule occupies in the policy text. */
export interface RuleSpan {
  readonly index: number;
  readonly startLine: number;
  readonly endLine: number;
}

/**
 * The policy errors of a failed `createPolicy`, `updatePolicy` or `testPolicy`: the
 * `BAD_USER_INPUT` whose `extensions.errors` lists every problem. Null for any other failure.
 */
export function policyErrorsOf(error: unknown): PolicyErrorItem[] | null {
  if (!(error instanceof CombinedError)) return null;
  const first = error.graphQLErrors[0];
  if (first?.extensions?.code !== 'BAD_USER_INPUT') return null;
  const list = first.extensions.errors;
  if (!Array.isArray(list)) return null;
  return list.filter((e): e is PolicyErrorItem => typeof e === 'object' && e !== null && typeof (e as PolicyErrorItem).message === 'string');
}

/**
 * Where each rule starts and ends in the text, found without a full parser: in YAML, the items
 * of the top-level `rules:` list; in JSON, the elements of the root object's `rules` array.
 * Rules the scan cannot find (flow-style YAML lists, say) are simply left out; their errors are
 * then shown above the editor instead of beside a rule.
 */
export function locateRules(source: string, format: 'JSON' | 'YAML' | null = null): RuleSpan[] {
  const json = format ? format === 'JSON' : source.trimStart().startsWith('{');
  return json ? locateJsonRules(source) : locateYamlRules(source);
}

function locateYamlRules(source: string): RuleSpan[] {
  const lines = source.split('\n');
  const rulesKey = lines.findIndex((l) => /^["']?rules["']?\s*:\s*(#.*)?$/.test(l.trimEnd()));
  if (rulesKey < 0) return [];
  const starts: number[] = [];
  let itemIndent = -1;
  let end = lines.length;
  for (let i = rulesKey + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const content = line.trim();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (itemIndent < 0) {
      if (!content.startsWith('-')) return [];
      itemIndent = indent;
    }
    if (indent < itemIndent || (indent === itemIndent && !content.startsWith('-'))) {
      end = i;
      break;
    }
    if (indent === itemIndent && /^-(\s|$)/.test(content)) starts.push(i);
  }
  return starts.map((start, index) => ({ index, startLine: start + 1, endLine: lastContentLine(lines, start, (starts[index + 1] ?? end) - 1) + 1 }));
}

/** The last line from `from` to `to` that is neither blank nor a comment. */
function lastContentLine(lines: readonly string[], from: number, to: number): number {
  for (let i = to; i > from; i--) {
    const content = lines[i]!.trim();
    if (content !== '' && !content.startsWith('#')) return i;
  }
  return from;
}

function locateJsonRules(source: string): RuleSpan[] {
  const spans: RuleSpan[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let lastString = '';
  let pendingKey: string | null = null;
  let rulesDepth = -1;
  let elementStart: number | null = null;
  let elementEnd = 1;
  const close = () => {
    if (elementStart !== null) spans.push({ index: spans.length, startLine: elementStart, endLine: elementEnd });
    elementStart = null;
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\n') {
      line++;
      continue;
    }
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        lastString = source.slice(stringStart, i);
      }
      continue;
    }
    if (/\s/.test(ch)) continue;
    // Inside the rules array, any token at element level starts an element or continues it.
    if (rulesDepth >= 0 && depth === rulesDepth && ch !== ',' && ch !== ']' && elementStart === null) elementStart = line;
    if (rulesDepth >= 0 && depth >= rulesDepth && ch !== ',' && !(ch === ']' && depth === rulesDepth)) elementEnd = line;
    if (ch === '"') {
      inString = true;
      stringStart = i + 1;
    } else if (ch === ':') {
      pendingKey = depth === 1 ? lastString : null;
    } else if (ch === '{' || ch === '[') {
      if (ch === '[' && depth === 1 && pendingKey === 'rules' && rulesDepth < 0) rulesDepth = depth + 1;
      depth++;
      pendingKey = null;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (rulesDepth >= 0 && depth === rulesDepth - 1) {
        close();
        return spans;
      }
    } else if (ch === ',') {
      if (rulesDepth >= 0 && depth === rulesDepth) close();
      if (depth === 1) pendingKey = null;
    }
  }
  close();
  return spans;
}
