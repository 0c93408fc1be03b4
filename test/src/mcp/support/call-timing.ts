import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The one tool policy the MCP latency measurements apply to every call: e-mail addresses in arguments are redacted. */
export const EMAIL_TOOL_POLICY = {
  name: 'No e-mail addresses to tools',
  rules: [{ id: 'emails', on: 'tool_call', when: { toolArguments: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'] } }],
};

/** What the tool server's `list_records` answers for `customers`. */
const EXPECTED_CONTENT = JSON.stringify([{ type: 'text', text: '3 records in customers' }]);

/**
 * Calls `list_records` `calls` times straight to the server (`direct`) and through Keyward
 * (`proxied`), interleaved call by call so both see the same machine load, after a warm-up of a
 * tenth as many; returns each path's durations in milliseconds. Throws on an answer that is not
 * the tool's.
 */
export async function timeInterleavedCalls(direct: Client, proxied: Client, calls: number): Promise<{ direct: number[]; keyward: number[] }> {
  const call = async (client: Client) => {
    const started = performance.now();
    const result = await client.callTool({ name: 'list_records', arguments: { table: 'customers' } });
    const elapsed = performance.now() - started;
    if (JSON.stringify(result.content) !== EXPECTED_CONTENT) throw new Error(`unexpected tool result: ${JSON.stringify(result)}`);
    return elapsed;
  };
  for (let i = 0; i < Math.ceil(calls / 10); i++) {
    await call(direct);
    await call(proxied);
  }
  const times = { direct: [] as number[], keyward: [] as number[] };
  for (let i = 0; i < calls; i++) {
    // Alternating which goes first keeps any ordering effect out of the difference.
    if (i % 2 === 0) {
      times.direct.push(await call(direct));
      times.keyward.push(await call(proxied));
    } else {
      times.keyward.push(await call(proxied));
      times.direct.push(await call(direct));
    }
  }
  return times;
}
