// A de-duplicating keyed work queue, the controller's heart (design.md §2), in the shape of
// client-go's workqueue:
//  - add(key): queue it unless it is already queued; a key being processed is marked dirty and
//    processed once more after the current run (never two runs of one key at a time);
//  - addAfter(key, ms): a delayed add; of several, the earliest wins (requeue at the next thing
//    that will happen: observation end, cooldown end, metrics refresh);
//  - a failing run is retried with exponential backoff (baseDelayMs · 2^n, capped), reset when a
//    run succeeds; a run that returns { requeueAfterMs } is scheduled again then.
// Workers run `handler` for up to `concurrency` different keys at once.

export interface RunResult {
  /** Look again after this long (e.g. the observation period ends then). */
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<RunResult | void>;

export interface WorkQueueOptions {
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called when a run throws (after the retry is scheduled). */
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export interface QueueStats {
  queued: number;
  processing: number;
  delayed: number;
  processed: number;
  failed: number;
}

export class WorkQueue {
  private readonly handler: Handler;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onError: WorkQueueOptions['onError'];
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private stopped = false;
  private processed = 0;
  private failed = 0;

  constructor(handler: Handler, opts: WorkQueueOptions = {}) {
    this.handler = handler;
    this.concurrency = opts.concurrency ?? 4;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.onError = opts.onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    const d = this.delayed.get(key);
    if (d) {
      clearTimeout(d.timer);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    // Never synchronously: a run that finishes without I/O and asks to run again at once would
    // otherwise loop in microtasks and starve the event loop (watches, HTTP answers, timers).
    delayMs = Math.max(1, delayMs);
    const at = Date.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  stats(): QueueStats {
    return { queued: this.queue.length, processing: this.processing.size, delayed: this.delayed.size, processed: this.processed, failed: this.failed };
  }

  /** Resolves when nothing is queued or processing (delayed adds do not count). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking work, cancels delayed adds, and waits for the runs in progress. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && !this.stopped) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      void this.run(key);
    }
    if (this.queue.length === 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    let result: RunResult | void = undefined;
    try {
      result = await this.handler(key);
      this.failures.delete(key);
      this.processed++;
    } catch (error) {
      this.failed++;
      const n = this.failures.get(key) ?? 0;
      this.failures.set(key, n + 1);
      const retryIn = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
      this.addAfter(key, retryIn);
      this.onError?.(key, error, retryIn);
    } finally {
      this.processing.delete(key);
      this.running--;
    }
    if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }
}
