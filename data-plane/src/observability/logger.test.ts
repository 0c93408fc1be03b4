import { describe, expect, it } from 'vitest';
import { createLogger, withoutRedaction } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe('the data-plane logger', () => {
  it('redacts secrets at the known paths', () => {
    const { lines, destination } = capture();
    createLogger('info', destination).info({ headers: { authorization: 'Bearer sk-live' }, token: 't' }, 'debugging');
    expect(lines[0]).toMatchObject({ service: 'data-plane', headers: { authorization: '[redacted]' }, token: '[redacted]' });
  });

  it('writes the request line with the same bindings and fields, without a redaction pass, from one kept child', () => {
    const { lines, destination } = capture();
    const log = createLogger('info', destination).child({ worker: 1 });
    expect(withoutRedaction(log)).toBe(withoutRedaction(log));
    const fields = { requestId: 'r1', model: 'gpt-4o', keyPrefix: 'kw_live_ab12', status: 200, usage: { inputTokens: 3, outputTokens: 4 } };
    withoutRedaction(log).info(fields, 'request');
    log.info(fields, 'request');
    const [plain, redacting] = lines;
    expect(plain).toMatchObject({ service: 'data-plane', worker: 1, msg: 'request', ...fields });
    expect({ ...plain, time: null }).toEqual({ ...redacting, time: null });
  });
});
