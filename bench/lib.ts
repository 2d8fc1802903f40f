// Small helpers shared by the benchmarks.
import { readFile } from 'node:fs/promises';
import { quantileSorted } from 'simple-statistics';

/** Runs `fn` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export function quantiles(values: readonly number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => Math.round(quantileSorted(s, p));
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: Math.round(s.at(-1) ?? 0) };
}

/** Current and peak resident memory of a process, MiB (from /proc). */
export async function rssOf(pid: number): Promise<{ current: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { current: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/** Exits the process with an error if the benchmark runs past `ms`; returns a canceller. */
export function timeout(ms: number, what: string): () => void {
  const t = setTimeout(() => {
    console.error(`error: ${what} did not finish within ${ms / 1000}s`);
    process.exit(1);
  }, ms);
  return () => clearTimeout(t);
}
