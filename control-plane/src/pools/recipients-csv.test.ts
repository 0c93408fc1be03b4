import { describe, expect, it } from 'vitest';
import { readRecipientsCsv } from './recipients-csv.js';

const NOW = new Date('2026-12-07T12:00:00Z');

describe('reading a recipients CSV', () => {
  it('reads email and name without a header, skipping blank lines and normalizing emails', () => {
    const { recipients, errors } = readRecipientsCsv(' Ada@Example.com , Ada Lovelace\r\n\r\nbob@example.com\n', NOW);
    expect(errors).toEqual([]);
    expect(recipients).toEqual([
      { line: 1, email: 'ada@example.com', name: 'Ada Lovelace', overrides: {} },
      { line: 3, email: 'bob@example.com', name: '', overrides: {} },
    ]);
  });

  it('takes columns by their header names, in any order, with quoted fields and exact dollar amounts', () => {
    const csv = 'Email,Budget,Name,RPM,tpm,concurrency,expires\nada@example.com,0.000125,"Lovelace, Ada ""The Countess""",60,5000,2,2027-01-31\n';
    const { recipients, errors } = readRecipientsCsv(csv, NOW);
    expect(errors).toEqual([]);
    expect(recipients).toEqual([
      {
        line: 2,
        email: 'ada@example.com',
        name: 'Lovelace, Ada "The Countess"',
        overrides: { budgetMicros: 125, requestsPerMinute: 60, tokensPerMinute: 5000, concurrentRequests: 2, expiresAt: new Date('2027-01-31') },
      },
    ]);
  });

  it('names a header column it does not know', () => {
    expect(readRecipientsCsv('email,nickname\nada@example.com,Ada\n', NOW).errors).toEqual([
      {
        line: 1,
        message: 'Unknown column "nickname" (expected email, name, budget, requests_per_minute, tokens_per_minute, concurrent_requests, expires_at).',
      },
    ]);
  });

  it('lists every bad line with its number and reason', () => {
    const csv = [
      'email,name,budget,requests_per_minute,expires_at',
      'ok@example.com,Ok,1',
      'nobody,Nobody',
      ',Missing',
      'ok@example.com,Twice',
      'cash@example.com,Cash,$5',
      'rate@example.com,Rate,,0',
      'past@example.com,Past,,,2020-01-01',
      'when@example.com,When,,,next week',
      'wide@example.com,Wide,1,2,2027-01-01,extra',
      'quote@example.com,Bad "quote"',
    ].join('\n');
    const { errors } = readRecipientsCsv(csv, NOW);
    expect(errors).toEqual([
      { line: 3, message: '"nobody" is not an email address.' },
      { line: 4, message: 'The email is missing.' },
      { line: 5, message: 'ok@example.com is already on line 2.' },
      { line: 6, message: 'The budget "$5" is not a US-dollar amount with at most 6 decimals, e.g. 25.00.' },
      { line: 7, message: 'The requests per minute "0" must be a whole number from 1 to 1000000000.' },
      { line: 8, message: 'The expiry 2020-01-01 is in the past.' },
      { line: 9, message: 'The expiry "next week" is not an ISO date or time (2027-01-31 or 2027-01-31T18:00:00Z).' },
      { line: 10, message: 'The line has 6 fields; at most 5 are expected.' },
      { line: 11, message: 'A quote appears inside an unquoted field; quote the whole field and double the quote ("").' },
    ]);
  });

  it('refuses an empty file and an unclosed quote', () => {
    expect(readRecipientsCsv('\n\n', NOW).errors).toEqual([{ line: 1, message: 'The CSV has no recipients.' }]);
    expect(readRecipientsCsv('a@example.com,"Ada\n', NOW).errors).toEqual([{ line: 1, message: 'A quoted field is not closed.' }]);
  });
});
