import { snippet, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { hoverTooltip, type Tooltip } from '@codemirror/view';
import type { Extension } from '@codemirror/state';
import { cursorContext, fieldAt, objectAt, suggestionsAt, type LanguageField, type LanguageObject } from './policy-context';

/** The language and the text's format, read when the editor asks (both can change while it is open). */
export interface AssistSource {
  language(): readonly LanguageObject[];
  format(): 'JSON' | 'YAML';
}

function fieldCompletion(field: LanguageField, json: boolean, quoted: boolean, asValue: boolean): Completion {
  const name = field.name;
  const apply = quoted ? name : asValue ? snippet(json ? `{ "${name}": \${} }` : `{ ${name}: \${} }`) : json ? `"${name}": ` : `${name}: `;
  return { label: name, type: 'property', info: field.doc, apply };
}

/**
 * Completion from the policy language: the fields of the object the cursor is in (or of the
 * object a field's value starts), or the fixed values of the field being given a value.
 */
export function policyCompletion(source: AssistSource) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/["']?[\w-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const quoted = /^["']/.test(word.text);
    const from = quoted ? word.from + 1 : word.from;
    const format = source.format();
    const json = format === 'JSON';
    const at = cursorContext(context.state.doc.toString(), word.from, format);
    const found = suggestionsAt(source.language(), at);
    if (!found) return null;
    const options =
      found.kind === 'keys'
        ? found.object.fields.map((f) => fieldCompletion(f, json, quoted, at.mode === 'value'))
        : found.field.values!.map((v) => ({
            label: v,
            type: 'enum',
            info: found.field.doc,
            apply: json && !quoted && v !== 'true' && v !== 'false' ? `"${v}"` : v,
          }));
    return { from, options, validFor: /^[\w-]*$/ };
  };
}

/** The explanation shown when the pointer rests on a field name or a value of the policy language. */
export function policyHover(source: AssistSource): Extension {
  return hoverTooltip((view, pos): Tooltip | null => {
    const word = view.state.wordAt(pos);
    if (!word) return null;
    const text = view.state.doc.toString();
    const name = text.slice(word.from, word.to);
    const isKey = /^["']?\s*:/.test(text.slice(word.to, word.to + 4));
    const start = /["']/.test(text[word.from - 1] ?? '') ? word.from - 1 : word.from;
    const at = cursorContext(text, start, source.format());
    const language = source.language();
    const field = isKey ? (objectAt(language, at.path)?.fields.find((f) => f.name === name) ?? null) : fieldAt(language, at);
    if (!field || (!isKey && !field.values?.includes(name))) return null;
    return {
      pos: word.from,
      end: word.to,
      above: true,
      create() {
        const dom = document.createElement('div');
        dom.className = 'cm-policy-doc';
        dom.setAttribute('role', 'tooltip');
        const title = document.createElement('strong');
        title.textContent = isKey ? field.name : `${field.name}: ${name}`;
        const doc = document.createElement('p');
        doc.textContent = field.doc;
        dom.append(title, doc);
        if (isKey && field.values?.length) {
          const values = document.createElement('p');
          values.textContent = `Values: ${field.values.join(', ')}`;
          dom.append(values);
        }
        return { dom };
      },
    };
  });
}
