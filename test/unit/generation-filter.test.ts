// Which informer events are reasons to reconcile: new objects and spec (generation) changes only.
import { expect, it } from 'vitest';
import { generationFilter } from '../../src/controller/controller.ts';

it('passes new objects and generation changes, not status-only updates', () => {
  const f = generationFilter();
  const o = (generation: number, uid = 'u1') => ({ metadata: { uid, name: 'p', namespace: 'n', generation } });
  expect(f(o(1))).toBe(true); // first sight
  expect(f(o(1))).toBe(false); // status write: same generation
  expect(f(o(2))).toBe(true); // spec edit
  expect(f(o(1, 'u2'))).toBe(true); // another object
  f.forget(o(2));
  expect(f(o(2))).toBe(true); // re-created after delete
});
