import { describe, expect, it } from 'vitest';
import { nodeHealth } from './node-health';

describe('node health', () => {
  it('reads connected nodes by config lag and flags disconnected ones', () => {
    expect(nodeHealth({ connected: true, lag: 0 }).label).toBe('In sync');
    expect(nodeHealth({ connected: true, lag: 2 })).toEqual({ label: 'Catching up', tone: 'warning' });
    expect(nodeHealth({ connected: false, lag: 0 }).tone).toBe('error');
  });
});
