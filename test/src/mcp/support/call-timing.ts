import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The one tool policy the MCP latency measurements apply to every call: e-mail addresses in arguments are redacted. */
export const EMAIL_TOOL_POLICY = {
  name: 'No e-mail addresses to tools',
  rules: [{ id: 'emails', on: 'tool_call', when: { toolArguments: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'] } }],
};

/** What the tool server's `list_records` answers for `customers`. */
const EXPECTED_CONTENT = JSON.stringify([{ type: 'text', text: '3 records in customers' }]);

/**
 * Calls `list_records` `calls` times on each client (say, straight to the server and through
 * Keyward), interleaved call by call so all see the same machine load, after a warm-up of a
 * tenth as many; returns each client's durations in milliseconds, by the same names. Throws on
 * an answer that is not the tool's.
 */
export async function timeInterleavedCalls<Name extends string>(clients: Readonly<Record<Name, Client>>, calls: number): Promise<Record<Name, number[]>> {
  const call = async (client: Client) => {
    const started = performance.now();
    const result = await client.callTool({ name: 'list_records', arguments: { table: 'customers' } });
    const elapsed = performance.now() - started;
    if (JSON.stringify(result.content) !== EXPECTED_CONTENT) throw new Error(`unexpected tool result: ${JSON.stringify(result)}`);
    return elapsed;
  };
  const names = Object.keys(clients) as Name[];
  for (let i = 0; i < Math.ceil(calls / 10); i++) for (const name of names) await call(clients[name]);
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (let i = 0; i < calls; i++) {
    // Rotating which goes first keeps any ordering effect out of the differences.
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      times[name].push(await call(clients[name]));
    }
  }
  return times;
}
