import { describe, expect, it } from 'vitest';
import { maskedUrl } from './masked-url.js';

describe('a masked URL', () => {
  it.each([
    ['https://hooks.slack.com/services/T0/B0/abcd1234', 'https://hooks.slack.com/…'],
    ['https://hooks.example.com/in?token=abcd1234', 'https://hooks.example.com/…'],
    ['https://user:abcd1234@hooks.example.com/', 'https://hooks.example.com/…'],
    ['http://127.0.0.1:8080/keyward', 'http://127.0.0.1:8080/…'],
    ['https://hooks.example.com/', 'https://hooks.example.com/'],
    ['not a url abcd1234', '…'],
  ])('shows %s as %s', (url, shown) => {
    expect(maskedUrl(url)).toBe(shown);
  });
});
