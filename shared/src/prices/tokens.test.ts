import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { encodingForModel, estimateTokens } from './tokens.js';

const ENCODERS = { 'gpt-4o': new Tiktoken(o200k), 'gpt-4': new Tiktoken(cl100k) };

/** Every text's estimate equals js-tiktoken's exact count, for both encodings, the first time and once its pieces are cached. */
function expectExactCounts(texts: readonly string[]): void {
  for (const [model, encoder] of Object.entries(ENCODERS)) {
    for (const text of texts) {
      const exact = encoder.encode(text, [], []).length;
      expect(estimateTokens(text, model)).toBe(exact);
      expect(estimateTokens(text, model)).toBe(exact);
    }
  }
}

describe('token estimates', () => {
  it('uses o200k_base for the GPT-4o, 4.1, o-series and GPT-5 families', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4.1-nano', 'o3', 'o4-mini', 'gpt-5', 'chatgpt-4o-latest']) {
      expect(encodingForModel(model)).toBe('o200k_base');
    }
  });

  it('uses cl100k_base for other models', () => {
    for (const model of ['gpt-4', 'gpt-3.5-turbo', 'claude-sonnet-4', 'gemini-2.5-pro', 'o3x']) {
      expect(encodingForModel(model)).toBe('cl100k_base');
    }
  });

  it('counts known encodings exactly for short text', () => {
    expect(estimateTokens('hello world', 'gpt-4o')).toBe(2);
    expect(estimateTokens('hello world', 'gpt-4')).toBe(2);
    expect(estimateTokens('', 'gpt-4o')).toBe(0);
  });

  it('treats special-token text in a prompt as ordinary text', () => {
    expect(estimateTokens('a <|endoftext|> b', 'gpt-4')).toBeGreaterThan(3);
  });

  it('counts exactly what the encoder counts, the first time a text is seen and every time after', () => {
    const texts = [
      'We are migrating the billing service; latency went from 120 ms to 340 ms at p99 (version 3.14.2).',
      "It's done, they'll say: I'VE seen 12345678 tokens, d'you know?  Trailing   spaces   \n\n\r\n  and tabs\t\t.",
      'const config = { "brokers": ["10.0.12.4:9092"], "maxPollRecords": 500 };\n    return out;\n}\n',
      'Ключ, 鍵, キー, مفتاح — émojis 🙂🚀 and accents: naïve façade, Ünïcödé.',
      '========== ---- ***** <|endoftext|> <|fim_prefix|> a' + ' '.repeat(200) + 'b' + '!'.repeat(150),
      'x'.repeat(300),
    ];
    expectExactCounts(texts);
  });

  it('counts realistic ASCII prompts exactly, for both encodings', () => {
    const prose =
      'We are migrating the billing service to the new event pipeline. The current consumer reads from the ' +
      "orders topic, enriches each record with the customer profile and writes invoices in batches of 500. It's " +
      'slow: latency went from 120 ms to 340 ms at p99 after the 2024-11-18 release (version 3.14.2). ';
    const code = [
      'async function enrich(batch: Order[]): Promise<Invoice[]> {',
      '  const out: Invoice[] = [];',
      '  for (const order of batch) {',
      '    const profile = await profiles.get(order.customerId); // one round trip per order',
      "    if (!profile) { metrics.increment('profile.miss'); continue; }",
      '    out.push({ id: order.id, total: order.lines.reduce((s, l) => s + l.qty * l.price, 0) });',
      '  }',
      '  return out;',
      '}',
      'const config = { "brokers": ["10.0.12.4:9092"], "groupId": "billing-v2", "maxPollRecords": 500 };',
    ].join('\n');
    const texts = [
      `${prose.repeat(8)}\n\`\`\`ts\n${code}\n\`\`\`\nDraft a note to alice.martin@example.com summarising the gain.`,
      code.replaceAll('\n', '\r\n'),
      '# Plan\n\n1. Batch the lookups.\n2. Cache hot customers (TTL 60s).\n\n| step | p99 |\n|------|-----|\n| now  | 340 |\n',
      "$ git log --oneline | head -3\n9f1c2ab Fix: don't retry on 4xx\n\tat Object.<anonymous> (/srv/app/index.js:12:5)\n    \n",
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: prose }], tools: [{ type: 'function' }] }),
    ];
    expectExactCounts(texts);
  });

  it('estimates long text from the exact counts of eight 1 KiB samples', () => {
    const words = 'gateway forwards each request with the real credential and records usage 1234 {"a": [1, 2]}'.split(' ');
    const ascii = Array.from({ length: 5_000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    const mixed = `${ascii.slice(0, 20_000)} ключ ${ascii.slice(20_000)}`;
    const encoder = new Tiktoken(o200k);
    for (const text of [ascii, mixed]) {
      const stride = Math.floor((text.length - 1024) / 7);
      let sampled = 0;
      for (let i = 0; i < 8; i++) sampled += encoder.encode(text.slice(i * stride, i * stride + 1024), [], []).length;
      expect(estimateTokens(text, 'gpt-4o')).toBe(Math.ceil((sampled / 8192) * text.length));
    }
  });

  it('estimates long text from samples, within 5% of the exact count', () => {
    const words = 'gateway forwards each request with the real credential and records usage 1234 {"a": [1, 2]} ключ'.split(' ');
    const text = Array.from({ length: 30_000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    const exact = new Tiktoken(o200k).encode(text, [], []).length;
    const estimate = estimateTokens(text, 'gpt-4o');
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
  });

  it('estimates a large prompt quickly once loaded', () => {
    const text = 'x'.repeat(100) + 'Ünïcödé text and code: function f() { return 1; }\n'.repeat(20_000);
    estimateTokens('warm', 'gpt-4o');
    const started = performance.now();
    estimateTokens(text, 'gpt-4o');
    expect(performance.now() - started).toBeLessThan(100);
  });
});
