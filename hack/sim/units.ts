// Exact parsers for the two unit notations a usage profile is written in: Kubernetes resource
// quantities ("250m", "1.5Gi", "500M", "1e3") and durations ("30s", "5m", "2h", "7d", "1h30m").
// Pure; they return undefined instead of throwing so callers can report the field that was wrong.

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
const BINARY: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * Value of a Kubernetes quantity in base units (cores for CPU, bytes for memory), or undefined if
 * `text` is not a quantity. The digits are scaled with integer arithmetic and divided once, so the
 * result is the double nearest the exact value: "1.5Gi" = 1610612736, "250m" = 0.25.
 */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign, number, binary, decimal, exponent] = m;
  const [intPart, fracPart = ''] = number!.split('.');
  const mantissa = BigInt(`${intPart || '0'}${fracPart}`);
  let numerator = mantissa;
  let denominatorPow10 = fracPart.length;
  if (binary) numerator <<= BINARY[binary]!;
  const pow10 = decimal ? DECIMAL[decimal]! : exponent ? Number(exponent) : 0;
  if (Math.abs(pow10) > 400) return undefined;
  if (pow10 >= 0) numerator *= 10n ** BigInt(pow10);
  else denominatorPow10 -= pow10;
  const value = Number(numerator) / Number(10n ** BigInt(denominatorPow10));
  if (!Number.isFinite(value)) return undefined;
  return sign === '-' ? -value : value;
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
