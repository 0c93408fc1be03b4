/** The example a new policy starts from, in YAML: block credentials, redact contact details, tag big requests. */
export const YAML_TEMPLATE = `name: Production guardrails
description: What every agent may send to model providers.
rules:
  - id: no-credentials
    when: { prompt: { pii: credentials } }
    action: { type: block, status: 422, message: Credentials must not be sent to models }
  - id: contacts
    when: { prompt: { pii: [email, phone] } }
    action: { type: redact, detectors: [email, phone], replacement: placeholder, restore: true }
  - id: large-requests
    when: { inputTokens: { gt: 50000 } }
    action: { type: log, tags: [large-request] }
`;

/** The same example as JSON, for people who keep policies in JSON files. */
export const JSON_TEMPLATE = `${JSON.stringify(
  {
    name: 'Production guardrails',
    description: 'What every agent may send to model providers.',
    rules: [
      {
        id: 'no-credentials',
        when: { prompt: { pii: 'credentials' } },
        action: { type: 'block', status: 422, message: 'Credentials must not be sent to models' },
      },
      {
        id: 'contacts',
        when: { prompt: { pii: ['email', 'phone'] } },
        action: { type: 'redact', detectors: ['email', 'phone'], replacement: 'placeholder', restore: true },
      },
      { id: 'large-requests', when: { inputTokens: { gt: 50000 } }, action: { type: 'log', tags: ['large-request'] } },
    ],
  },
  null,
  2,
)}\n`;

/** The syntax of a policy text, as the control plane guesses it: text starting with `{` is JSON. */
export function detectFormat(source: string): 'JSON' | 'YAML' {
  return source.trimStart().startsWith('{') ? 'JSON' : 'YAML';
}
