import { describe, expect, it } from 'vitest';
import { homeRoute, visibleNavigation } from './navigation';

const canOnly =
  (...granted: string[]) =>
  (p: string) =>
    granted.includes(p);

describe('the sidebar', () => {
  it('leaves out screens a role cannot open', () => {
    const routes = visibleNavigation(canOnly('keys:read', 'events:read')).flatMap((g) => g.items.map((i) => i.route));
    expect(routes).toEqual(['overview', 'audit', 'performance', 'keys', 'pools', 'playground']);
  });

  it('lands a role without usage access on the first screen it may open', () => {
    expect(homeRoute(canOnly('events:read', 'keys:read'))).toBe('overview');
    expect(homeRoute(canOnly('members:read', 'org:read'))).toBe('members');
  });
});
