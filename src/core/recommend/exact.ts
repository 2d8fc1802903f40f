// Exact integer arithmetic for percentages. Policy percentages come from decimal text (YAML/JSON),
// e.g. 15 or 12.5 or 0.1; multiplying in floating point can land a hair above an integer and a
// ceil() would then add a unit. Here a percentage is read back as the exact decimal it was written
// as (the shortest decimal string of the number) and the arithmetic is done on BigInt.

export interface Ratio {
  num: bigint;
  den: bigint;
}

/** The exact decimal value of a finite, non-negative number's shortest representation. */
export function decimalRatio(x: number): Ratio {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) return { num: 0n, den: 1n }; // unreachable for validated input (finite, ≥ 0)
  const frac = m[2] ?? '';
  let num = BigInt((m[1] ?? '0') + frac);
  let den = 10n ** BigInt(frac.length);
  const exp = Number(m[3] ?? '0');
  if (exp > 0) num *= 10n ** BigInt(exp);
  if (exp < 0) den *= 10n ** BigInt(-exp);
  return { num, den };
}

/** v × (100 + sign·pct) / 100, rounded as asked. v ≥ 0 integer; the factor must be ≥ 0. */
export function scaleByPercent(v: number, pct: number, sign: 1 | -1, rounding: 'ceil' | 'floor'): number {
  const { num, den } = decimalRatio(pct);
  const d = 100n * den;
  const n = sign === 1 ? d + num : d - num;
  return mulDiv(v, n < 0n ? 0n : n, d, rounding);
}

/** a × n / d rounded as asked, for a ≥ 0, n ≥ 0, d > 0. */
export function mulDiv(a: number, n: bigint, d: bigint, rounding: 'ceil' | 'floor'): number {
  const p = BigInt(a) * n;
  return Number(rounding === 'ceil' ? (p + d - 1n) / d : p / d);
}

/** Whether |target − current| / current × 100 < pct, exactly (current > 0). */
export function changeBelowPercent(target: number, current: number, pct: number): boolean {
  const { num, den } = decimalRatio(pct);
  const diff = BigInt(Math.abs(target - current));
  return diff * 100n * den < num * BigInt(current);
}
