// The fault-injection annotations (hack/sim/faults.ts): their format, and which changes inject.
import { describe, expect, it } from 'vitest';
import { CRASH_ANNOTATION, OOM_ANNOTATION, parseFault, readFaults, type FaultMemory } from '../../hack/sim/faults.ts';

describe('parseFault', () => {
  it('reads a token and the containers it names', () => {
    expect(parseFault('t1:app')).toEqual({ ok: true, request: { token: 't1', containers: ['app'] } });
    expect(parseFault(' t2 : app , sidecar ,app')).toEqual({ ok: true, request: { token: 't2', containers: ['app', 'sidecar'] } });
    expect(parseFault('t3:*')).toEqual({ ok: true, request: { token: 't3', containers: 'all' } });
  });

  it('takes the token up to the last colon, so a timestamp is a token', () => {
    expect(parseFault('2026-11-22T10:00:00.123Z:app')).toEqual({ ok: true, request: { token: '2026-11-22T10:00:00.123Z', containers: ['app'] } });
  });

  it('rejects malformed values with a one-line reason', () => {
    expect(parseFault('app')).toEqual({ ok: false, error: 'expected "<token>:<container>[,<container>…]", got "app"' });
    expect(parseFault(':app')).toEqual({ ok: false, error: 'empty token in ":app"' });
    expect(parseFault('t1:')).toEqual({ ok: false, error: 'empty container name in "t1:"' });
    expect(parseFault('t1:app,')).toEqual({ ok: false, error: 'empty container name in "t1:app,"' });
    expect(parseFault('t1:App')).toEqual({ ok: false, error: 'invalid container name "App" in "t1:App"' });
    expect(parseFault('t1:app,*')).toEqual({ ok: false, error: 'invalid container name "*" in "t1:app,*"' });
    expect(parseFault(`t1:${'a'.repeat(64)}`)).toMatchObject({ ok: false });
  });
});

describe('readFaults', () => {
  const containers = ['app', 'sidecar'];
  const first = (annotations?: Record<string, string>) => readFaults(undefined, annotations, containers);

  it('records what a pod carries when first seen, without injecting', () => {
    const r = first({ [CRASH_ANNOTATION]: 't1:app', other: 'x' });
    expect(r.inject).toEqual([]);
    expect(r.errors).toEqual([]);
    // The same token later does nothing; a new one does.
    expect(readFaults(r.memory, { [CRASH_ANNOTATION]: 't1:app,sidecar' }, containers).inject).toEqual([]);
    expect(readFaults(r.memory, { [CRASH_ANNOTATION]: 't2:app' }, containers).inject).toEqual([{ container: 'app', reason: 'Error', annotation: CRASH_ANNOTATION, token: 't2' }]);
  });

  it('injects once per new token, for each named container, crash and oom independently', () => {
    let m: FaultMemory = first().memory;
    const read = (a: Record<string, string>) => {
      const r = readFaults(m, a, containers);
      m = r.memory;
      return r.inject.map((i) => `${i.reason}:${i.container}:${i.token}`);
    };
    expect(read({ [CRASH_ANNOTATION]: 't1:app,sidecar' })).toEqual(['Error:app:t1', 'Error:sidecar:t1']);
    expect(read({ [CRASH_ANNOTATION]: 't1:app,sidecar' })).toEqual([]);
    expect(read({ [CRASH_ANNOTATION]: 't1:app', [OOM_ANNOTATION]: 'x:*' })).toEqual(['OOMKilled:app:x', 'OOMKilled:sidecar:x']);
    expect(read({ [OOM_ANNOTATION]: 'x:*' })).toEqual([]); // crash removed: its token stays remembered
    expect(read({ [CRASH_ANNOTATION]: 't1:app', [OOM_ANNOTATION]: 'x:*' })).toEqual([]);
    expect(read({ [CRASH_ANNOTATION]: 't2:app', [OOM_ANNOTATION]: 'y:sidecar' })).toEqual(['Error:app:t2', 'OOMKilled:sidecar:y']);
  });

  it('returns the same memory object when no fault annotation changed (the cheap path)', () => {
    const m = first({ [CRASH_ANNOTATION]: 't1:app' }).memory;
    const r = readFaults(m, { [CRASH_ANNOTATION]: 't1:app', unrelated: 'changed' }, containers);
    expect(r.memory).toBe(m);
    expect(readFaults(m, { [CRASH_ANNOTATION]: 't1:sidecar' }, containers).memory).not.toBe(m);
  });

  it('rejects a bad value or an unknown container whole, without consuming the token', () => {
    const m = first().memory;
    const bad = readFaults(m, { [OOM_ANNOTATION]: 't1:ap' }, containers);
    expect(bad.inject).toEqual([]);
    expect(bad.errors).toEqual([`annotation ${OOM_ANNOTATION}: no container "ap" in the pod (it has app, sidecar)`]);
    // Reported once: the same value again is not read again.
    expect(readFaults(bad.memory, { [OOM_ANNOTATION]: 't1:ap' }, containers).errors).toEqual([]);
    // Corrected with the same token: acts.
    expect(readFaults(bad.memory, { [OOM_ANNOTATION]: 't1:app' }, containers).inject).toEqual([{ container: 'app', reason: 'OOMKilled', annotation: OOM_ANNOTATION, token: 't1' }]);
    expect(readFaults(m, { [CRASH_ANNOTATION]: 'nonsense' }, containers).errors).toEqual([`annotation ${CRASH_ANNOTATION}: expected "<token>:<container>[,<container>…]", got "nonsense"`]);
  });

  it('reports a bad value present at first sight', () => {
    expect(first({ [CRASH_ANNOTATION]: 't1:nope' }).errors).toHaveLength(1);
  });
});
