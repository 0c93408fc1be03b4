import { describe, expect, it } from 'vitest';
import { POLICY_LANGUAGE, type PolicyObjectName } from './language.js';
import { validatePolicyDocument } from './validate.js';

/** The fields and values the validator names when it refuses `doc`, from its "expected one of" and "must be one of" messages. */
function namedByValidator(doc: unknown): string[] {
  const result = validatePolicyDocument(doc);
  if (result.ok) throw new Error('expected the document to be rejected');
  const message = result.errors.map((e) => e.message).join('\n');
  const expected = /expected one of: ([^\n]+)/.exec(message)?.[1].split(', ');
  const oneOf = /must be one of ([^\n]+), not/
    .exec(message)?.[1]
    .split(', ')
    .map((v) => JSON.parse(v) as string);
  return expected ?? oneOf ?? [];
}

const fieldsOf = (name: PolicyObjectName) => POLICY_LANGUAGE.find((o) => o.name === name)!.fields;
const field = (object: PolicyObjectName, name: string) => fieldsOf(object).find((f) => f.name === name)!;
const withRule = (rule: Record<string, unknown>) => ({ name: 'p', rules: [{ id: 'r', action: 'log', ...rule }] });
const withCondition = (when: unknown, on = 'request') => withRule({ when, on });

/** A document placing an unknown field in each object of the language. */
const UNKNOWN_FIELD_IN: Readonly<Record<Exclude<PolicyObjectName, 'action'>, unknown>> = {
  document: { name: 'p', rules: [], extra: 1 },
  rule: withRule({ extra: 1 }),
  condition: withCondition({ extra: 1 }),
  pattern: withRule({ action: { type: 'redact', patterns: [{ name: 'A', regex: 'a', extra: 1 }] } }),
  textTest: withCondition({ prompt: { contains: 'a', extra: 1 } }),
  numberTest: withCondition({ inputTokens: { gt: 1, extra: 1 } }),
  headerTest: withCondition({ header: { name: 'x-keyward-a', eq: '1', extra: 1 } }),
  keyLabelTest: withCondition({ keyLabel: { name: 'a', eq: '1', extra: 1 } }),
  keyMetadataTest: withCondition({ keyMetadata: { path: '$.a', eq: 1, extra: 1 } }),
  toolCallTest: withCondition({ toolCall: { name: 'a', extra: 1 } }),
  toolArgumentTest: withCondition({ toolCall: { args: [{ path: '$.a', eq: 1, extra: 1 }] } }),
  timeOfDay: withCondition({ timeOfDay: { weekdays: ['mon'], extra: 1 } }),
  provenance: withCondition({ provenance: { principalId: 'a', extra: 1 } }),
  anomaly: withCondition({ anomaly: { scoreAbove: 5, extra: 1 } }),
};

describe('the policy language description', () => {
  it.each(Object.entries(UNKNOWN_FIELD_IN))('names exactly the fields the validator accepts in a %s', (object, doc) => {
    expect(fieldsOf(object as PolicyObjectName).map((f) => f.name)).toEqual(namedByValidator(doc));
  });

  it('names, across action types, exactly the fields each type accepts', () => {
    const accepted = ['allow', 'block', 'redact', 'hold', 'log'].flatMap((type) =>
      namedByValidator(withRule({ action: { type, ...(type === 'redact' ? { detectors: 'email' } : {}), extra: 1 } })),
    );
    expect(fieldsOf('action').map((f) => f.name)).toEqual([...new Set(accepted)]);
  });

  it.each([
    ['rule', 'on', withRule({ on: 'never' })],
    ['action', 'type', withRule({ action: { type: 'never' } })],
    ['action', 'replacement', withRule({ action: { type: 'redact', detectors: 'email', replacement: 'never' } })],
    ['action', 'onTimeout', withRule({ action: { type: 'hold', onTimeout: 'never' } })],
    ['action', 'detectors', withRule({ action: { type: 'redact', detectors: 'never' } })],
    ['textTest', 'pii', withCondition({ prompt: { pii: 'never' } })],
    ['condition', 'provider', withCondition({ provider: 'never' })],
    ['condition', 'api', withCondition({ api: 'never' })],
    ['timeOfDay', 'weekdays', withCondition({ timeOfDay: { weekdays: 'never' } })],
    ['provenance', 'result', withCondition({ provenance: { result: 'never' } })],
    ['provenance', 'principalType', withCondition({ provenance: { principalType: 'never' } })],
    ['provenance', 'classification', withCondition({ provenance: { classification: 'never' } })],
    ['anomaly', 'reasons', withCondition({ anomaly: { reasons: 'never' } })],
  ] as const)('lists exactly the values the validator accepts for %s.%s', (object, name, doc) => {
    expect(field(object, name).values).toEqual(namedByValidator(doc));
  });

  it('documents every field and points only at objects it describes', () => {
    const names = new Set(POLICY_LANGUAGE.map((o) => o.name));
    for (const object of POLICY_LANGUAGE) {
      expect(object.doc.length, object.name).toBeGreaterThan(10);
      for (const f of object.fields) {
        expect(f.doc.length, `${object.name}.${f.name}`).toBeGreaterThan(5);
        if (f.object) expect(names.has(f.object), `${object.name}.${f.name}`).toBe(true);
      }
    }
  });
});
