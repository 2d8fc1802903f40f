// Kubernetes resource.Quantity, exactly: strings are parsed into a rational number of base units
// (BigInt numerator / denominator), so "1.5Gi" and "0.1" carry no floating-point error. Pure.
//
// Grammar (k8s.io/apimachinery/pkg/api/resource):
//   <quantity> ::= <sign>? <number> <suffix>?
//   <number>   ::= <digits> | <digits>.<digits>? | .<digits>
//   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei          binary:  2^10 … 2^60
//                | n | u | m | k | M | G | T | P | E    decimal: 10^-9 … 10^18
//                | (e|E) <sign>? <digits>              decimal exponent ("1e3"; "1E" alone is exa)
// Deliberate limit: the exponent has at most three digits (|e| ≤ 999). Kubernetes itself never
// writes larger ones, and an unbounded exponent would let "1e999999999" cost unbounded BigInt work.

/** A parsed quantity: value = num / den base units (cores or bytes); den > 0, sign carried by num. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

/** Full Kubernetes grammar including a sign; the parser's single source. */
export const QUANTITY_REGEX = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]{1,3})?$/;

/**
 * The same grammar without the minus sign: what the ResizePolicy schema accepts (a negative bound
 * is meaningless). RE2-compatible, so the apiserver enforces exactly the pattern we parse.
 */
export const NONNEGATIVE_QUANTITY_PATTERN = /^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]{1,3})?$/;

const BINARY: Readonly<Record<string, bigint>> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Parses a quantity string; undefined when it is not valid Kubernetes quantity syntax. Never throws. */
export function parseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string') return undefined;
  const m = QUANTITY_REGEX.exec(input);
  if (!m) return undefined;
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', frac = ''] = number.split('.');
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') num = -num;

  const binary = BINARY[suffix];
  if (binary !== undefined) {
    num *= binary;
  } else {
    const exp = suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') ? Number(suffix.slice(1)) : DECIMAL[suffix];
    if (exp === undefined) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return normalize(num, den);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function normalize(num: bigint, den: bigint): Quantity {
  if (num === 0n) return { num: 0n, den: 1n };
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** Rounds num/den to an integer away from zero, as Kubernetes' Value()/MilliValue() do. */
function ceilAwayFromZero(num: bigint, den: bigint): bigint {
  const q = num / den; // BigInt division truncates toward zero
  if (q * den === num) return q;
  return num > 0n ? q + 1n : q - 1n;
}

function asQuantity(q: Quantity | string): Quantity | undefined {
  return typeof q === 'string' ? parseQuantity(q) : q;
}

/** CPU in whole millicores, rounded away from zero like MilliValue() ("0.1" → 100n, "1u" → 1n). */
export function toMillicores(q: Quantity | string): bigint | undefined {
  const v = asQuantity(q);
  return v && ceilAwayFromZero(v.num * 1000n, v.den);
}

/** Memory in whole bytes, rounded away from zero like Value() ("1.5Gi" → 1610612736n). */
export function toBytes(q: Quantity | string): bigint | undefined {
  const v = asQuantity(q);
  return v && ceilAwayFromZero(v.num, v.den);
}

/** True when the quantity is a whole number of base units (memory must be whole bytes). */
export function isWholeUnits(q: Quantity): boolean {
  return q.den === 1n;
}

/** Exact comparison: negative when a < b, zero when equal, positive when a > b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

function toBigInt(n: bigint | number): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  return BigInt(n >= 0 ? Math.ceil(n) : Math.floor(n)); // fractions round away from zero, like ceilAwayFromZero
}

/**
 * Tidy CPU string from millicores: whole cores as "2", otherwise "250m".
 * Fractional input is rounded away from zero (a request is never silently shrunk).
 */
export function formatCpu(millicores: bigint | number): string {
  const m = toBigInt(millicores);
  return m % 1000n === 0n ? `${m / 1000n}` : `${m}m`;
}

const MEMORY_UNITS: readonly (readonly [string, bigint])[] = [
  ['Ei', 1n << 60n],
  ['Pi', 1n << 50n],
  ['Ti', 1n << 40n],
  ['Gi', 1n << 30n],
  ['Mi', 1n << 20n],
];

/**
 * Tidy memory string from bytes: the largest binary unit from Mi up that divides the value exactly
 * ("512Mi", "1Gi", "1536Mi"), otherwise plain bytes ("1000"). Fractions round away from zero.
 */
export function formatMemory(bytes: bigint | number): string {
  const b = toBigInt(bytes);
  if (b === 0n) return '0';
  for (const [unit, size] of MEMORY_UNITS) if (b % size === 0n) return `${b / size}${unit}`;
  return `${b}`;
}
