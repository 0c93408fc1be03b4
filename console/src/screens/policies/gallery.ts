/** A starting point for a new policy: what it does, why, and its text in YAML. */
export interface PolicyStarter {
  readonly key: string;
  readonly title: string;
  readonly explanation: string;
  readonly source: string;
}

/** The gallery of starting points on the New policy screen, each a complete, valid policy. */
export const POLICY_GALLERY: readonly PolicyStarter[] = [
  {
    key: 'pii-redaction',
    title: 'PII redaction',
    explanation:
      'Replaces e-mail addresses, phone numbers, card numbers and other personal data in prompts with labelled placeholders before they reach the provider, and puts the originals back into the answer, so the model never sees them and the agent notices nothing.',
    source: `name: PII redaction
description: Personal data never reaches model providers.
rules:
  - id: redact-personal-data
    when: { prompt: { pii: personal } }
    action: { type: redact, detectors: personal, replacement: placeholder, restore: true }
`,
  },
  {
    key: 'secret-blocking',
    title: 'Secret blocking',
    explanation:
      'Refuses any request whose prompt or system prompt carries an API key, a cloud access key, a private key or a token, with a 422 the agent can act on; leaked credentials are never sent on to a provider, and the record shows which rule stopped them.',
    source: `name: Secret blocking
description: Credentials pasted into prompts are stopped at the gateway.
rules:
  - id: no-credentials
    when:
      any:
        - { prompt: { pii: credentials } }
        - { system: { pii: credentials } }
    action: { type: block, status: 422, message: "Remove the credential from the prompt and try again." }
`,
  },
  {
    key: 'destructive-tool-holds',
    title: 'Destructive tool holds',
    explanation:
      'Holds MCP tool calls that delete, drop or transfer until a person approves them on the Approvals screen (blocked after ten minutes without a decision), and logs every other tool call, so agents act freely on what can be undone.',
    source: `name: Destructive tool holds
description: A person approves tool calls that cannot be undone.
rules:
  - id: hold-destructive-tools
    on: tool_call
    when: { tool: ["delete_*", "drop_*", "*_transfer", "transfer_*"] }
    action: { type: hold, timeoutSeconds: 600, onTimeout: block }
  - id: log-tool-calls
    on: tool_call
    action: { type: log, tags: [tool-call] }
`,
  },
  {
    key: 'model-allow-list',
    title: 'Model allow-list',
    explanation:
      'Lets through the models the organization has approved and blocks every other with a 403 naming the policy; add a model to the first rule to allow it. Rules are checked in order, so the allow rule ends the policy before the block.',
    source: `name: Model allow-list
description: Only approved models may be called.
rules:
  - id: approved-models
    when: { model: ["gpt-4o", "gpt-4o-mini", "claude-sonnet-*", "gemini-2.5-*"] }
    action: allow
  - id: everything-else
    action: { type: block, status: 403, message: "This model is not approved for use." }
`,
  },
  {
    key: 'spend-caps',
    title: 'Spend caps',
    explanation:
      'Caps what one request may cost: requests estimated above $2 wait for an approval, those asking for more than 32,000 output tokens are refused, and those above $0.50 are tagged for review. Caps over a day or a month are budgets (the Budgets screen).',
    source: `name: Spend caps
description: No single request spends more than it should.
rules:
  - id: hold-expensive
    when: { costMicros: { gt: 2000000 } }
    action: { type: hold, timeoutSeconds: 240, onTimeout: block }
  - id: no-huge-answers
    when: { maxOutputTokens: { gt: 32000 } }
    action: { type: block, status: 422, message: "Ask for at most 32000 output tokens." }
  - id: tag-costly
    when: { costMicros: { gt: 500000 } }
    action: { type: log, tags: [costly] }
`,
  },
  {
    key: 'business-hours',
    title: 'Business hours',
    explanation:
      'Allows calls on weekdays from 08:00 to 19:00 in the team’s time zone and blocks them at night and at weekends, when nobody is watching what agents do; change the window and the time zone to yours.',
    source: `name: Business hours
description: Agents run while people are at work.
rules:
  - id: working-hours
    when: { timeOfDay: { between: ["08:00", "19:00"], weekdays: [mon, tue, wed, thu, fri], timeZone: Europe/Paris } }
    action: allow
  - id: out-of-hours
    action: { type: block, status: 403, message: "Agents may call models on weekdays from 08:00 to 19:00 (Paris time)." }
`,
  },
];
