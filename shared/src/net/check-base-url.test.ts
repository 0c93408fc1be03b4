import { describe, expect, it } from 'vitest';
import { checkBaseUrl } from './check-base-url.js';
import { UnsafeUrlError } from './errors.js';

const strict = { allowLoopback: false };
const dev = { allowLoopback: true };

describe('base URL check', () => {
  it('accepts an https URL with a path and returns it parsed', () => {
    const url = checkBaseUrl('https://api.example.com/v1', strict);
    expect(url.hostname).toBe('api.example.com');
    expect(url.pathname).toBe('/v1');
  });

  it('accepts a query string, which some providers need (api-version)', () => {
    expect(checkBaseUrl('https://x.openai.azure.com/openai?api-version=2024-10-21', strict).search).toBe('?api-version=2024-10-21');
  });

  it.each([
    ['api.example.com/v1', 'base URL must be an absolute URL such as https://api.example.com/v1'],
    ['ftp://files.example.com', 'base URL must use https (got "ftp:")'],
    ['http://api.example.com', 'base URL must use https; plain http is allowed only for loopback hosts in development'],
    ['https://user:pw@api.example.com', "base URL must not contain a user name or password; put credentials in the credential's secret"],
    ['https://api.example.com/v1#frag', 'base URL must not contain a fragment (#…)'],
    ['https://api.example.com/v1#', 'base URL must not contain a fragment (#…)'],
    ['https://10.0.0.5/v1', 'base URL host 10.0.0.5 is a private address; providers must be reached at public addresses'],
    ['https://127.0.0.1:8080', 'base URL host 127.0.0.1 is a loopback address; providers must be reached at public addresses'],
    ['https://[::1]/', 'base URL host ::1 is a loopback address; providers must be reached at public addresses'],
    ['https://[::ffff:169.254.169.254]/', 'base URL host ::ffff:a9fe:a9fe is a cloud metadata service address; providers must be reached at public addresses'],
    ['https://localhost:3000', 'base URL host localhost is a loopback name; providers must be reached at public addresses'],
    ['https://metadata.google.internal/computeMetadata/v1', 'base URL host metadata.google.internal is a cloud metadata service'],
  ])('refuses %s', (input, message) => {
    expect(() => checkBaseUrl(input, strict)).toThrow(new UnsafeUrlError(message));
  });

  it('sees through numeric host spellings the URL parser normalizes', () => {
    expect(() => checkBaseUrl('https://2130706433/', strict)).toThrow(/127\.0\.0\.1 is a loopback address/);
    expect(() => checkBaseUrl('https://0x7f.1/', strict)).toThrow(/127\.0\.0\.1 is a loopback address/);
  });

  it('never repeats a password in its message', () => {
    expect(() => checkBaseUrl('http://admin:hunter2@10.0.0.1', strict)).toThrow(/user name or password/);
    expect(() => checkBaseUrl('http://admin:hunter2@10.0.0.1', strict)).not.toThrow(/hunter2/);
  });

  describe('with allowLoopback', () => {
    it('accepts plain http to a loopback literal or localhost', () => {
      expect(checkBaseUrl('http://127.0.0.1:11434/v1', dev).port).toBe('11434');
      expect(checkBaseUrl('http://[::1]:8000', dev).hostname).toBe('[::1]');
      expect(checkBaseUrl('http://localhost:8000/v1', dev).hostname).toBe('localhost');
    });

    it('still requires https for any other host', () => {
      expect(() => checkBaseUrl('http://api.example.com', dev)).toThrow('base URL may use plain http only for a loopback host; use https for api.example.com');
    });

    it('still refuses private and metadata addresses', () => {
      expect(() => checkBaseUrl('https://192.168.1.10', dev)).toThrow(/private address/);
      expect(() => checkBaseUrl('http://169.254.169.254', dev)).toThrow(/loopback host/);
    });
  });
});
