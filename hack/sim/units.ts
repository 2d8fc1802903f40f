// Exact parsers for the two unit notations a usage profile is written in: Kubernetes resource
// quantities ("250m", "1.5Gi", "500M", "1e3") and durations ("30s", "5m", "2h", "7d", "1h30m").
// Pure; they return undefined instead of throwing so callers can report the field that was wrong.
import { parseQuantity as parseExact } from '../../src/core/quantity.ts';

/**
 * Value of a Kubernetes quantity in base units (cores for CPU, bytes for memory), or undefined if
 * `text` is not a quantity. Parsed exactly by the core's parser (a BigInt fraction) and divided
 * once, so for values below 2^53 units the result is the double nearest the exact value:
 * "1.5Gi" = 1610612736, "250m" = 0.25.
 */
export function parseQuantity(text: string): number | undefined {
  const q = parseExact(text.trim());
  if (!q) return undefined;
  const value = Number(q.num) / Number(q.den);
  return Number.isFinite(value) ? value : undefined;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds in a duration such as "30s", "5m", "2h", "7d", "1h30m" or "1.5h" (units ms, s, m,
 * h, d, w, as in Prometheus; Go's time.ParseDuration lacks d and w). Undefined if malformed.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const m = DURATION_PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Math.round(total);
}
