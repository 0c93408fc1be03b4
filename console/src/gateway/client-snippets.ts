/**
 * Ready-to-run code that points the official clients at a Keyward gateway. Each client takes the
 * gateway's address in its own way: OpenAI's clients take a base URL ending in `/v1`, while
 * Anthropic's and Gemini's take the origin and add their own versioned paths. The browser tests
 * run these exact texts against a data plane, so they cannot drift from it.
 */

/** Which client a snippet is for. */
type SnippetClient = 'openai-node' | 'openai-python' | 'anthropic-node' | 'gemini-node' | 'curl';

/** One snippet, as shown on screen. */
export interface ClientSnippet {
  readonly client: SnippetClient;
  /** The tab's title. */
  readonly label: string;
  /** How to get the client (shown above the code). */
  readonly install: string;
  readonly code: string;
}

/** Where a key comes from in the code when its secret is not at hand: this environment variable. */
export const KEY_VARIABLE = 'KEYWARD_KEY';

/** What each snippet asks. */
const PROMPT = 'Hello through Keyward';

/** The base URL each client is given, from the gateway's origin (no trailing slash). */
function clientBaseUrls(gatewayUrl: string): { readonly openai: string; readonly anthropic: string; readonly gemini: string } {
  const origin = gatewayUrl.replace(/\/+$/, '');
  return { openai: `${origin}/v1`, anthropic: origin, gemini: origin };
}

/**
 * The snippets for a gateway, with `secret` written in when given (right after a key is created)
 * and read from `$KEYWARD_KEY` otherwise.
 */
export function clientSnippets(gatewayUrl: string, secret: string | null = null): ClientSnippet[] {
  const base = clientBaseUrls(gatewayUrl);
  const py = JSON.stringify;
  const jsKey = secret === null ? `process.env.${KEY_VARIABLE}` : js(secret);
  const pyKey = secret === null ? `os.environ[${py(KEY_VARIABLE)}]` : py(secret);
  const shellKey = secret === null ? `"Authorization: Bearer $${KEY_VARIABLE}"` : shellQuote(`Authorization: Bearer ${secret}`);
  return [
    {
      client: 'openai-node',
      label: 'OpenAI (Node)',
      install: 'npm install openai',
      code: `import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: ${js(base.openai)},
  apiKey: ${jsKey},
});

const completion = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: ${js(PROMPT)} }],
});
console.log(completion.choices[0].message.content);
`,
    },
    {
      client: 'openai-python',
      label: 'OpenAI (Python)',
      install: 'pip install openai',
      code: `${secret === null ? 'import os\n' : ''}from openai import OpenAI

client = OpenAI(
    base_url=${py(base.openai)},
    api_key=${pyKey},
)

completion = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": ${py(PROMPT)}}],
)
print(completion.choices[0].message.content)
`,
    },
    {
      client: 'anthropic-node',
      label: 'Anthropic (Node)',
      install: 'npm install @anthropic-ai/sdk',
      code: `import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({
  baseURL: ${js(base.anthropic)},
  apiKey: ${jsKey},
});

const message = await client.messages.create({
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: ${js(PROMPT)} }],
});
console.log(message.content[0].text);
`,
    },
    {
      client: 'gemini-node',
      label: 'Gemini (Node)',
      install: 'npm install @google/genai',
      code: `import { GoogleGenAI } from '@google/genai';

const ai = new GoogleGenAI({
  apiKey: ${jsKey},
  httpOptions: { baseUrl: ${js(base.gemini)} },
});

const response = await ai.models.generateContent({
  model: 'gemini-2.5-flash',
  contents: ${js(PROMPT)},
});
console.log(response.text);
`,
    },
    {
      client: 'curl',
      label: 'curl',
      install: 'Any shell with curl',
      code: `curl ${shellQuote(`${base.openai}/chat/completions`)} \\
  -H ${shellKey} \\
  -H 'Content-Type: application/json' \\
  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ${py(PROMPT)}}]}'
`,
    },
  ];
}

/** A single-quoted JavaScript string literal. */
function js(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Single-quotes a value for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
