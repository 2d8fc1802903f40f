// Small helpers shared by the benchmarks.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
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

/** Busy and idle CPU seconds of the whole machine since boot, from /proc/stat (USER_HZ = 100). */
export async function machineCpuSeconds(): Promise<{ busy: number; idle: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu '))!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / 100, idle: (idle! + iowait!) / 100 };
}

/**
 * The Node options the operator is deployed with: NODE_OPTIONS of the attune container in
 * deploy/operator.yaml (its heap budget), split into arguments; none when it sets none.
 */
export async function deployedNodeOptions(manifest = join(import.meta.dirname, '..', 'deploy', 'operator.yaml')): Promise<string[]> {
  for (const doc of loadAll(await readFile(manifest, 'utf8'))) {
    const d = doc as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ name?: string; env?: Array<{ name?: string; value?: string }> }> } } } } | null;
    if (d?.kind !== 'Deployment') continue;
    const c = d.spec?.template?.spec?.containers?.find((x) => x.name === 'attune');
    const v = c?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    return v.split(/\s+/).filter(Boolean);
  }
  return [];
}

/** A whole number ≥ 1 from the environment variable `name`, else `dflt`; anything else is an error naming the variable. */
export function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: a whole number ≥ 1, got ${process.env[name]}`);
  return v;
}
