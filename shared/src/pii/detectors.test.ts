import { describe, expect, it } from 'vitest';
import { detectPii } from './detect.js';
import type { DetectorName } from './types.js';

/** Values one detector finds in `text`. */
function found(detector: DetectorName, text: string): string[] {
  return detectPii(text, [detector]).map((f) => f.value);
}

describe('email detector', () => {
  it('finds addresses in prose, with plus tags and subdomains', () => {
    expect(found('email', 'Write to jane.doe+billing@mail.example.co.uk today.')).toEqual(['jane.doe+billing@mail.example.co.uk']);
  });

  it('reports offsets that slice back to the value', () => {
    const text = 'cc: <ops@example.org>';
    const [f] = detectPii(text, ['email']);
    expect(text.slice(f.start, f.end)).toBe('ops@example.org');
  });

  it('ignores mentions, decorators, hosts without a dot and package versions', () => {
    expect(found('email', 'ping @alice about @Field() and root@localhost, install lodash@4.17.21')).toEqual([]);
  });

  it('ignores an address whose local part ends with a dot', () => {
    expect(found('email', 'broken.@example.com')).toEqual([]);
  });
});

describe('phone detector', () => {
  it.each([
    ['+1 415 555 2671'],
    ['+14155552671'],
    ['+44 20 7946 0958'],
    ['+44 (0)20 7946 0958'],
    ['+33 6 12 34 56 78'],
    ['+49-30-1234-5678'],
    ['(415) 555-2671'],
    ['415-555-2671'],
    ['415.555.2671'],
    ['1 415 555 2671'],
    ['06 12 34 56 78'],
    ['01.23.45.67.89'],
    ['020 7946 0958'],
    ['030 12345678'],
    ['(030) 1234 5678'],
  ])('finds %s', (number) => {
    expect(found('phone', `Call me at ${number}, thanks.`)).toEqual([number]);
  });

  it.each([
    ['a date', 'on 2024-01-15 at 10:30'],
    ['a slashed date', 'due 12/05/2024'],
    ['a dotted date', 'le 05.06.2024 12:00'],
    ['a price', 'costs $1,234,567.89 or 1 234 567 €'],
    ['a bare long number', 'order 4155552671 shipped'],
    ['an IP address', 'host 192.168.100.10'],
    ['a version', 'version 10.2.3'],
    ['an ISBN', 'ISBN 978-3-16-148410-0'],
    ['a card number', '4111 1111 1111 1111'],
    ['a short international number', 'dial +1 234'],
    ['a number inside a longer run of digits', '06 12 34 56 78 90 12'],
  ])('ignores %s', (_what, text) => {
    expect(found('phone', text)).toEqual([]);
  });
});

describe('payment card detector', () => {
  it.each([
    ['Visa', '4111 1111 1111 1111'],
    ['Visa without separators', '4242424242424242'],
    ['Mastercard', '5555-5555-5555-4444'],
    ['Mastercard 2-series', '2223003122003222'],
    ['American Express', '3782 822463 10005'],
    ['Discover', '6011 1111 1111 1117'],
    ['Diners Club', '3056 930902 5904'],
  ])('finds a %s number', (_brand, number) => {
    expect(found('payment_card', `card: ${number}.`)).toEqual([number]);
  });

  it.each([
    ['a failed Luhn check', '4111 1111 1111 1112'],
    ['an unknown issuer prefix', '1234 5678 9012 3452'],
    ['odd grouping', '41 1111 1111 1111 11'],
    ['mixed separators', '4111-1111 1111-1111'],
    ['a number embedded in a longer one', '99994111111111111111'],
    ['too few digits', '4111 1111 1111'],
  ])('ignores %s', (_what, text) => {
    expect(found('payment_card', text)).toEqual([]);
  });
});

describe('IBAN detector', () => {
  it.each([
    ['DE89 3704 0044 0532 0130 00'],
    ['DE89370400440532013000'],
    ['GB82 WEST 1234 5698 7654 32'],
    ['FR14 2004 1010 0505 0001 3M02 606'],
    ['NL91ABNA0417164300'],
  ])('finds %s', (iban) => {
    expect(found('iban', `Pay to ${iban} EUR please`)).toEqual([iban]);
  });

  it.each([
    ['a bad checksum', 'DE89 3704 0044 0532 0130 01'],
    ['the wrong length for the country', 'DE89 3704 0044 0532 0130'],
    ['an unknown country', 'ZZ89 3704 0044 0532 0130 00'],
    ['a code glued to a word', 'XDE89370400440532013000'],
  ])('ignores %s', (_what, text) => {
    expect(found('iban', text)).toEqual([]);
  });
});

describe('US SSN detector', () => {
  it('finds dashed and spaced numbers', () => {
    expect(found('us_ssn', 'SSN 123-45-6789 or 123 45 6789')).toEqual(['123-45-6789', '123 45 6789']);
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 9xx', '912-12-3456'],
    ['group 00', '123-00-4567'],
    ['serial 0000', '123-45-0000'],
    ['a publicised sample number', '078-05-1120'],
    ['mixed separators', '123-45 6789'],
    ['nine bare digits', '123456789'],
    ['part of a longer dashed number', '1-123-45-6789'],
  ])('ignores %s', (_what, text) => {
    expect(found('us_ssn', text)).toEqual([]);
  });
});

describe('IP address detectors', () => {
  it('finds IPv4 addresses', () => {
    expect(found('ipv4', 'from 10.0.0.1 to 255.255.255.255.')).toEqual(['10.0.0.1', '255.255.255.255']);
  });

  it('ignores out-of-range octets, versions and longer dotted runs', () => {
    expect(found('ipv4', '256.1.1.1, v1.2.3.4, 1.2.3.4.5 and 1.2.3')).toEqual([]);
  });

  it.each([['2001:0db8:85a3:0000:0000:8a2e:0370:7334'], ['2001:db8::8a2e:370:7334'], ['fe80::1'], ['::1'], ['::ffff:192.0.2.128']])(
    'finds the IPv6 address %s',
    (address) => {
      expect(found('ipv6', `host ${address}.`)).toEqual([address]);
    },
  );

  it.each([
    ['a time', 'at 12:30:45'],
    ['a MAC address', '00:1A:2B:3C:4D:5E'],
    ['a C++ scope', 'std::vector and Add::Bad'],
    ['hex words', 'dead::beef'],
    ['two compressions', '2001::db8::1'],
    ['a group too long', '2001:db8::12345'],
    ['JSON', '{"a": 1, "b": 2}'],
  ])('ignores %s', (_what, text) => {
    expect(found('ipv6', text)).toEqual([]);
  });
});

describe('credential detectors', () => {
  const openaiLegacy = 'sk-' + 'T3BlbkFJ9x2LmQ7vR4kN8pZ1wY6cA0sD3fG5hJ7kL9qW2eR4';
  const openaiProject = 'sk-proj-' + 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6nOp9q_Rs-Tu';
  const anthropic = 'sk-ant-api03-' + 'x9Yb2Cd5Ef8Gh1Ij4Kl7Mn0Op3Qr6St9Uv2Wx5Yz8Ab1Cd4Ef7Gh0Ij3Kl6Mn9-AA';

  it('finds OpenAI keys, legacy and project-scoped', () => {
    expect(found('openai_api_key', `OPENAI_API_KEY=${openaiLegacy}\nkey: ${openaiProject}`)).toEqual([openaiLegacy, openaiProject]);
  });

  it('leaves Anthropic keys to the Anthropic detector', () => {
    expect(found('openai_api_key', anthropic)).toEqual([]);
    expect(found('anthropic_api_key', `x-api-key: ${anthropic}`)).toEqual([anthropic]);
  });

  it('ignores sk- words that are not random', () => {
    expect(found('openai_api_key', 'use sk-learn-and-some-other-long-hyphenated-words here')).toEqual([]);
    expect(found('anthropic_api_key', 'sk-ant-short')).toEqual([]);
  });

  it('finds AWS access key ids and the secret next to one', () => {
    const id = 'AKIAIOSFODNN7EXAMPLE';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const text = `aws_access_key_id = ${id}\naws_secret_access_key = ${secret}`;
    expect(found('aws_access_key_id', text)).toEqual([id]);
    expect(found('aws_secret_access_key', text)).toEqual([secret]);
    expect(found('aws_access_key_id', 'ASIAY34FZKBOKMUTVV7A')).toEqual(['ASIAY34FZKBOKMUTVV7A']);
  });

  it('finds an AWS secret after a "secret" label without an access key id', () => {
    expect(found('aws_secret_access_key', 'SecretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toHaveLength(1);
  });

  it('ignores 40-character strings with no AWS context, and hex hashes', () => {
    expect(found('aws_secret_access_key', 'blob wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in a file')).toEqual([]);
    expect(found('aws_secret_access_key', 'secret commit da39a3ee5e6b4b0d3255bfef95601890afd80709')).toEqual([]);
    expect(found('aws_access_key_id', 'AKIA1234 and XAKIAIOSFODNN7EXAMPLE')).toEqual([]);
  });

  it('finds GitHub tokens of every prefix', () => {
    const body = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    const tokens = ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((p) => p + body);
    const pat = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123';
    expect(found('github_token', [...tokens, pat].join(' '))).toEqual([...tokens, pat]);
    expect(found('github_token', 'ghp_tooShort and ghx_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8')).toEqual([]);
  });

  it('finds Google API keys of exactly 39 characters', () => {
    const key = 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q';
    expect(found('google_api_key', `key=${key}&q=1`)).toEqual([key]);
    expect(found('google_api_key', `key=${key}X`)).toEqual([]);
  });

  it('finds private key blocks from BEGIN to END', () => {
    const block = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1b2c3\nd4e5f6==\n-----END RSA PRIVATE KEY-----';
    expect(found('private_key', `here:\n${block}\nthanks`)).toEqual([block]);
    const openssh = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    expect(found('private_key', openssh)).toEqual([openssh]);
  });

  it('finds a truncated private key block up to the end of its body', () => {
    const text = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n\nCan you fix this key?';
    expect(found('private_key', text)).toEqual(['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7']);
  });

  it('ignores public keys and certificates', () => {
    expect(found('private_key', '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----')).toEqual([]);
  });

  it('finds JWTs whose header decodes to JSON with an alg', () => {
    const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    expect(found('jwt', `Authorization: Bearer ${token}`)).toEqual([token]);
  });

  it('ignores eyJ strings whose header has no alg or is not JSON', () => {
    const noAlg = `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl`;
    expect(found('jwt', noAlg)).toEqual([]);
    expect(found('jwt', 'eyJnotbase64json.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')).toEqual([]);
  });
});

describe('detectPii', () => {
  it('runs every detector by default and returns findings in text order', () => {
    const text = 'mail a@b.io, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE';
    expect(detectPii(text).map((f) => f.detector)).toEqual(['email', 'payment_card', 'aws_access_key_id']);
  });

  it('accepts detector groups', () => {
    const text = 'mail a@b.io, key AKIAIOSFODNN7EXAMPLE';
    expect(detectPii(text, ['credentials']).map((f) => f.detector)).toEqual(['aws_access_key_id']);
  });

  it('never returns overlapping findings', () => {
    const findings = detectPii('+1 415 555 2671 and 10.0.0.1 and 4111111111111111');
    for (let i = 1; i < findings.length; i++) expect(findings[i].start).toBeGreaterThanOrEqual(findings[i - 1].end);
  });

  it.each([
    ['spaced digits', '1 '.repeat(50_000)],
    ['one long number', '9'.repeat(100_000)],
    ['plus signs', '+1'.repeat(50_000)],
    ['parentheses', '(0'.repeat(50_000)],
    ['key prefixes', 'sk-'.repeat(33_000)],
    ['Anthropic prefixes', 'sk-ant-'.repeat(15_000)],
    ['JWT starts', 'eyJ'.repeat(33_000)],
    ['JWT-like parts', 'eyJaaaaaaaaaa.'.repeat(7_000)],
    ['at signs', 'a@'.repeat(50_000)],
    ['colons', '1:'.repeat(50_000)],
    ['double colons', 'a::'.repeat(33_000)],
    ['BEGIN lines', '-----BEGIN PRIVATE KEY-----'.repeat(4_000)],
    ['IBAN starts', 'DE89'.repeat(25_000)],
    ['dots', '1.'.repeat(50_000)],
    ['base64 after "secret"', `secret ${'A1b/'.repeat(25_000)}`],
    ['card groups', '4111 '.repeat(20_000)],
    ['fine-grained token prefixes', 'github_pat_'.repeat(9_000)],
  ])('stays linear on 100 kB of %s', (_what, hostile) => {
    const started = performance.now();
    detectPii(hostile);
    // Linear scans take tens of milliseconds; quadratic ones take minutes. Loose for shared CI machines.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
