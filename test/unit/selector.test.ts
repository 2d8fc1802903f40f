import { describe, expect, it } from 'vitest';
import { matchesSelector } from '../../src/core/selector.ts';

describe('matchesSelector', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'web', tier: 'back' } }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, true],
    [{ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'Bogus', values: ['web'] }] }, false],
  ])('%j → %s', (sel, ok) => expect(matchesSelector(sel, labels)).toBe(ok));
  it('no labels: only selectors without requirements match', () => {
    expect(matchesSelector({}, undefined)).toBe(true);
    expect(matchesSelector({ matchLabels: { a: 'b' } }, undefined)).toBe(false);
  });
});
