import { describe, expect, it } from 'vitest';
import { cursorContext, suggestionsAt, type LanguageObject } from './policy-context';

/** A slice of the policy language, as `policyLanguage` describes it. */
const LANGUAGE: LanguageObject[] = [
  {
    name: 'document',
    doc: 'A policy.',
    fields: [
      { name: 'name', doc: 'Its name.' },
      { name: 'rules', doc: 'Its rules.', object: 'rule', list: true },
    ],
  },
  {
    name: 'rule',
    doc: 'A rule.',
    fields: [
      { name: 'id', doc: 'Its id.' },
      { name: 'on', doc: 'Its phase.', values: ['request', 'response'] },
      { name: 'when', doc: 'Its condition.', object: 'condition' },
      { name: 'action', doc: 'Its action.', object: 'action', values: ['allow', 'block'] },
    ],
  },
  {
    name: 'condition',
    doc: 'A condition.',
    fields: [
      { name: 'any', doc: 'Any of.', object: 'condition', list: true },
      { name: 'prompt', doc: 'The prompt.', object: 'textTest' },
    ],
  },
  { name: 'textTest', doc: 'A text test.', fields: [{ name: 'pii', doc: 'Detectors.', values: ['email', 'phone'], list: true }] },
  { name: 'action', doc: 'An action.', fields: [{ name: 'type', doc: 'Its type.', values: ['allow', 'block'] }] },
];

/** The context at the `|` in `text`. */
function at(text: string, format: 'JSON' | 'YAML' = 'YAML') {
  return cursorContext(text.replace('|', ''), text.indexOf('|'), format);
}

/** What completion offers at the `|`: field names or values. */
function offered(text: string, format: 'JSON' | 'YAML' = 'YAML'): string[] {
  const found = suggestionsAt(LANGUAGE, at(text, format));
  if (!found) return [];
  return found.kind === 'keys' ? found.object.fields.map((f) => f.name) : [...found.field.values!];
}

describe('the cursor in a YAML policy', () => {
  it('is in the object its indentation puts it in', () => {
    expect(at('name: x\nrules:\n  - id: a\n    |')).toEqual({ path: ['rules'], mode: 'key', field: null });
    expect(at('rules:\n  - id: a\n    when:\n      |')).toEqual({ path: ['rules', 'when'], mode: 'key', field: null });
    expect(offered('rules:\n  - id: a\n    when:\n      pr|')).toEqual(['any', 'prompt']);
    expect(offered('|')).toEqual(['name', 'rules']);
  });

  it('gives a field value after its colon, inside flow mappings and lists too', () => {
    expect(offered('rules:\n  - id: a\n    on: |')).toEqual(['request', 'response']);
    expect(offered('rules:\n  - id: a\n    action: |')).toEqual(['allow', 'block']);
    expect(offered('rules:\n  - id: a\n    when: { prompt: { pii: |')).toEqual(['email', 'phone']);
    expect(offered('rules:\n  - id: a\n    when: { prompt: { pii: [email, |')).toEqual(['email', 'phone']);
    expect(offered('rules:\n  - id: a\n    when: { any: [{ |')).toEqual(['any', 'prompt']);
    expect(offered('rules:\n  - id: a\n    when: { prompt: { pii: email }, |')).toEqual(['any', 'prompt']);
  });

  it('offers the fields of the object a field holds where its value starts', () => {
    expect(offered('rules:\n  - id: a\n    when: |')).toEqual(['any', 'prompt']);
  });

  it('reads a new list item as an item of the list above', () => {
    expect(offered('rules:\n  - id: a\n  - |')).toEqual(['id', 'on', 'when', 'action']);
    expect(offered('rules:\n  - id: a\n    when:\n      prompt:\n        pii:\n          - |')).toEqual(['email', 'phone']);
  });
});

describe('the cursor in a JSON policy', () => {
  it('follows the keys of the brackets around it, strings with brackets included', () => {
    expect(offered('{ "name": "a{[", "rules": [ { "id": "a", "|', 'JSON')).toEqual(['id', 'on', 'when', 'action']);
    expect(offered('{ "rules": [ { "when": { "prompt": { "pii": [ "|', 'JSON')).toEqual(['email', 'phone']);
    expect(offered('{ "rules": [ { "on": |', 'JSON')).toEqual(['request', 'response']);
    expect(offered('{ |', 'JSON')).toEqual(['name', 'rules']);
  });
});
