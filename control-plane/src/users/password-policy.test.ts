import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';

describe('password policy', () => {
  it('accepts a long password mixing two kinds of character', () => {
    expect(passwordProblem('correct horse battery 9')).toBeNull();
    expect(passwordProblem('Tr0ub4dor&3-extended')).toBeNull();
  });

  it('refuses passwords shorter than twelve characters', () => {
    expect(passwordProblem('Abc123!xyz')).toMatch(/at least 12 characters/);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(passwordProblem('😀😀😀😀😀😀a')).toMatch(/at least 12/);
  });

  it('refuses passwords made of one kind of character', () => {
    expect(passwordProblem('abcdefghijklmnop')).toMatch(/two kinds/);
    expect(passwordProblem('4815162342424242')).toMatch(/two kinds/);
  });

  it('refuses the most common passwords whatever their case', () => {
    expect(passwordProblem('Password1234')).toMatch(/most common/);
    expect(passwordProblem('QWERTY123456')).toMatch(/most common/);
  });

  it('refuses passwords that repeat one or two characters', () => {
    expect(passwordProblem('a1a1a1a1a1a1a1')).toMatch(/repeats/);
  });

  it('refuses passwords that contain the name part of the email', () => {
    expect(passwordProblem('alice-Secure-99', 'alice@example.com')).toMatch(/email name/);
  });

  it('refuses absurdly long passwords', () => {
    expect(passwordProblem('aB3'.repeat(100))).toMatch(/at most 256/);
  });
});
