// Durations in the Prometheus style Kubernetes users already write ("30s", "5m", "2h", "7d",
// "1h30m", "500ms"), as integer milliseconds. Pure.
//
// Grammar: "0", or one or more <digits><unit> with units in strictly descending order
// w (7d) · d · h · m · s · ms, each used at most once. No fractions, no spaces, no sign.
// Deliberate limit: at most 7 digits per component, so the sum of all components
// (< 9999999w + 9999999d + … ≈ 6.9e15 ms) always stays below Number.MAX_SAFE_INTEGER
// and the CRD pattern accepts exactly what this parser accepts.

/** RE2-compatible pattern (used verbatim by the CRD); an empty string matches, so pair it with minLength 1. */
export const DURATION_PATTERN = /^(0|([0-9]{1,7}w)?([0-9]{1,7}d)?([0-9]{1,7}h)?([0-9]{1,7}m)?([0-9]{1,7}s)?([0-9]{1,7}ms)?)$/;

const UNIT_MS: readonly (readonly [string, number])[] = [
  ['w', 7 * 24 * 3_600_000],
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** Milliseconds, or undefined when `input` is not a valid duration string. Never throws. */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input !== 'string' || input === '') return undefined;
  const m = DURATION_PATTERN.exec(input);
  if (!m) return undefined;
  if (input === '0') return 0;
  let total = 0;
  // Groups 2..7 hold "<digits><unit>" in UNIT_MS order.
  UNIT_MS.forEach(([unit, ms], i) => {
    const part = m[i + 2];
    if (part !== undefined) total += Number(part.slice(0, part.length - unit.length)) * ms;
  });
  return total;
}

/** True for a valid duration of more than zero. */
export function isPositiveDuration(input: unknown): boolean {
  const ms = parseDuration(input);
  return ms !== undefined && ms > 0;
}

const FORMAT_UNITS = UNIT_MS.filter(([unit]) => unit !== 'w'); // "7d" reads better than "1w"

/**
 * Canonical string for a millisecond count: largest units first, zero components omitted
 * ("1h30m", "7d", "500ms", "0s"). Fractional input rounds to the nearest millisecond; negative
 * input gets a leading "-" (for messages such as time remaining). parseDuration(formatDuration(x))
 * === x for every integer 0 ≤ x < 10^7 days.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  let out = ms < 0 ? '-' : '';
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
