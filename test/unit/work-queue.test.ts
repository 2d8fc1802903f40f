// The keyed work queue: de-duplication, one run per key at a time, delayed requeues (earliest
// wins), error backoff, shutdown. Fake timers: no sleeps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../src/runtime/work-queue.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A handler whose runs the test finishes by hand. */
function controlled() {
  const runs: Array<{ key: string; finish: (r?: { requeueAfterMs?: number }) => void; fail: (e: Error) => void }> = [];
  const handler = (key: string) =>
    new Promise<{ requeueAfterMs?: number } | void>((resolve, reject) => runs.push({ key, finish: resolve, fail: reject }));
  return { runs, handler };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('WorkQueue', () => {
  it('de-duplicates a key that is queued several times', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1 });
    q.add('busy'); // takes the only worker; what follows waits in the queue
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.stats().queued).toBe(2);
    await q.idle();
    expect(seen).toEqual(['busy', 'a', 'b']);
  });

  it('never runs one key twice at once, and runs it again if it changed meanwhile', async () => {
    const { runs, handler } = controlled();
    const q = new WorkQueue(handler, { concurrency: 4 });
    q.add('a');
    await flush();
    q.add('a'); // while running: dirty
    q.add('a');
    await flush();
    expect(runs.map((r) => r.key)).toEqual(['a']);
    runs[0]!.finish();
    await flush();
    expect(runs.map((r) => r.key)).toEqual(['a', 'a']);
    runs[1]!.finish();
    await q.idle();
    expect(runs).toHaveLength(2);
  });

  it('runs different keys concurrently up to the limit', async () => {
    const { runs, handler } = controlled();
    const q = new WorkQueue(handler, { concurrency: 2 });
    for (const k of ['a', 'b', 'c']) q.add(k);
    await flush();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    runs[0]!.finish();
    await flush();
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });

  it('delayed adds: the earliest wins, an immediate add cancels the wait', async () => {
    const seen: Array<[string, number]> = [];
    const q = new WorkQueue(async (k) => void seen.push([k, Date.now()]));
    const t0 = Date.now();
    q.addAfter('a', 10_000);
    q.addAfter('a', 3_000);
    q.addAfter('a', 8_000);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([['a', t0 + 3_000]]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(seen).toHaveLength(1);

    q.addAfter('b', 5_000);
    q.add('b');
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen.filter(([k]) => k === 'b')).toHaveLength(1);
  });

  it('a run asking to be requeued is run again after that delay', async () => {
    let n = 0;
    const q = new WorkQueue(async () => (++n === 1 ? { requeueAfterMs: 60_000 } : undefined));
    q.add('a');
    await flush();
    expect(n).toBe(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(n).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(n).toBe(2);
  });

  it('retries a failing key with exponential backoff, reset by a success', async () => {
    const times: number[] = [];
    let fail = 3;
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (fail-- > 0) throw new Error('conflict');
      },
      { baseDelayMs: 100, maxDelayMs: 300, onError: (_k, _e, retry) => errors.push(retry) },
    );
    const t0 = Date.now();
    q.add('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times.map((t) => t - t0)).toEqual([0, 100, 300, 600]); // 100, 200, then capped at 300
    expect(errors).toEqual([100, 200, 300]);
    expect(q.stats()).toMatchObject({ failed: 3, processed: 1 });
  });

  it('shutdown cancels delayed work, takes no more, and waits for runs in progress', async () => {
    const { runs, handler } = controlled();
    const q = new WorkQueue(handler);
    q.add('a');
    q.addAfter('b', 1_000);
    await flush();
    let done = false;
    const stopping = q.shutdown().then(() => (done = true));
    q.add('c');
    await flush();
    expect(done).toBe(false);
    runs[0]!.finish();
    await stopping;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs.map((r) => r.key)).toEqual(['a']);
  });

  it('a run asking to run again at once yields to timers and I/O first (no microtask loop)', async () => {
    // Regression: a reconcile that does no I/O and returns requeueAfterMs 0 used to re-run
    // synchronously in microtasks forever, starving every watch and HTTP answer.
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      return runs < 1_000 ? { requeueAfterMs: 0 } : {};
    });
    let runsWhenTimerFired = -1;
    setTimeout(() => (runsWhenTimerFired = runs), 0);
    q.add('a');
    await vi.advanceTimersByTimeAsync(5);
    expect(runsWhenTimerFired).toBeGreaterThanOrEqual(1);
    expect(runsWhenTimerFired).toBeLessThan(1_000);
  });
});

