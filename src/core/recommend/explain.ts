// Human-readable figures for explanation notes, condition messages and summaries. Deliberately
// self-contained (no dependency on src/core/quantity.ts or duration.ts): output only, never parsed.
import type { Resource } from './types.ts';

/** Grid of the final request: 1 millicore for CPU, 1 Mi for memory. */
export const GRID: Readonly<Record<Resource, number>> = { cpu: 1, memory: 1_048_576 };
export const GRID_LABEL: Readonly<Record<Resource, string>> = { cpu: '1m', memory: '1Mi' };
export const UNIT_LABEL: Readonly<Record<Resource, string>> = { cpu: 'millicore', memory: 'byte' };

const BINARY: readonly [string, number][] = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
const DECIMAL: readonly [string, number][] = [['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]];

/**
 * A Kubernetes-style quantity for an integer amount: CPU millicores as "250m" or whole cores "2";
 * memory bytes in the largest binary suffix that divides it ("288Mi", "1Gi"), else the largest decimal
 * one ("1G"), else exact bytes, from 1Mi up with an approximation: "287204967 (≈273.9Mi)".
 */
export function formatQuantity(resource: Resource, value: number): string {
  if (resource === 'cpu') return value % 1000 === 0 ? String(value / 1000) : `${value}m`;
  if (value === 0) return '0';
  for (const [suffix, size] of [...BINARY, ...DECIMAL]) {
    if (value % size === 0) return `${value / size}${suffix}`;
  }
  // Exact bytes, with a readable approximation for the eye.
  return value >= 2 ** 20 ? `${value} (≈${Math.round((value / 2 ** 20) * 10) / 10}Mi)` : String(value);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration as "5h12m", "24h", "7d", "3d12h", "90s" → "1m30s". Days are used from 48h up (so a day
 * reads "24h", as people say it). Whole seconds: `rounding` says which way (up for amounts still
 * missing, so they are never understated; down for amounts we have). Below one second: "500ms".
 */
export function formatDuration(ms: number, rounding: 'floor' | 'ceil' = 'floor'): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  let rest = (rounding === 'ceil' ? Math.ceil(ms / SECOND) : Math.floor(ms / SECOND)) * SECOND;
  const parts: string[] = [];
  const units: [string, number][] = rest >= 2 * DAY ? [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]] : [['h', HOUR], ['m', MINUTE], ['s', SECOND]];
  for (const [label, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${label}`);
    rest -= n * size;
  }
  return parts.join('');
}

/** "p95", "p99.9". */
export function percentileLabel(p: number): string {
  return `p${p}`;
}

/** A percentage for a note, rounded down to two decimals ("9.99%", "71.2%"). */
export function formatPercent(x: number): string {
  return `${Math.floor(x * 100 + 1e-9) / 100}%`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
