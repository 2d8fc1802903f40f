// Kubernetes quantities parsed exactly (BigInt), rounded like MilliValue()/Value(), and formatted
// back into tidy strings.
import { describe, expect, it } from 'vitest';
import {
  NONNEGATIVE_QUANTITY_PATTERN,
  compareQuantities,
  formatCpu,
  formatMemory,
  parseQuantity,
  toBytes,
  toMillicores,
  type Quantity,
} from '../../src/core/quantity.ts';

describe('parseQuantity', () => {
  it.each<[string, bigint, bigint]>([
    ['0', 0n, 1n],
    ['1', 1n, 1n],
    ['+1', 1n, 1n],
    ['-1', -1n, 1n],
    ['250m', 1n, 4n],
    ['0.1', 1n, 10n],
    ['.5', 1n, 2n],
    ['1.', 1n, 1n],
    ['1e3', 1000n, 1n],
    ['1E3', 1000n, 1n],
    ['1.5e3', 1500n, 1n],
    ['5e-1', 1n, 2n],
    ['1e+2', 100n, 1n],
    ['1E', 10n ** 18n, 1n], // E alone is exa, not an exponent
    ['1k', 1000n, 1n],
    ['1M', 1_000_000n, 1n],
    ['2G', 2_000_000_000n, 1n],
    ['1T', 10n ** 12n, 1n],
    ['1P', 10n ** 15n, 1n],
    ['1n', 1n, 1_000_000_000n],
    ['3u', 3n, 1_000_000n],
    ['1Ki', 1024n, 1n],
    ['512Mi', 536_870_912n, 1n],
    ['1.5Gi', 1_610_612_736n, 1n],
    ['1Ti', 1n << 40n, 1n],
    ['1Pi', 1n << 50n, 1n],
    ['1Ei', 1n << 60n, 1n],
    ['0.1Ki', 512n, 5n], // 102.4
  ])('%s = %d/%d', (input, num, den) => {
    expect(parseQuantity(input)).toEqual({ num, den });
  });

  it.each(['', ' ', '1.2.3', '10 Mi', ' 1', '1 ', '1Qi', '1K', '1ki', '1mi', 'Mi', '.', '+', '-', '1e', '1e1.5', '1e1000', '1Gi1', '0x10', '1_000', 'NaN', '∞', '１'])(
    'rejects %j',
    (input) => {
      expect(parseQuantity(input)).toBeUndefined();
    },
  );

  it.each([undefined, null, 1, {}, [], true, 1n])('rejects the non-string %s without throwing', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('parses a long mantissa exactly', () => {
    expect(parseQuantity('123456789012345678901234567890.000000000000000001')).toEqual({
      num: 123456789012345678901234567890000000000000000001n,
      den: 10n ** 18n,
    });
  });
});

describe('toMillicores (rounds away from zero like MilliValue)', () => {
  it.each<[string, bigint]>([
    ['250m', 250n],
    ['0.1', 100n],
    ['2', 2000n],
    ['1.5', 1500n],
    ['1e3', 1_000_000n],
    ['+1', 1000n],
    ['0.0001', 1n],
    ['1u', 1n],
    ['1n', 1n],
    ['0', 0n],
    ['-1', -1000n],
    ['-0.0001', -1n],
    ['100Mi', 104_857_600_000n],
  ])('%s → %d', (input, want) => {
    expect(toMillicores(input)).toBe(want);
  });

  it('accepts a parsed quantity and returns undefined for garbage', () => {
    expect(toMillicores(parseQuantity('750m')!)).toBe(750n);
    expect(toMillicores('1.2.3')).toBeUndefined();
  });
});

describe('toBytes (rounds away from zero like Value)', () => {
  it.each<[string, bigint]>([
    ['1.5Gi', 1_610_612_736n],
    ['512Mi', 536_870_912n],
    ['1Gi', 1_073_741_824n],
    ['1G', 1_000_000_000n],
    ['128974848', 128_974_848n],
    ['129e6', 129_000_000n],
    ['123Mi', 128_974_848n],
    ['0.1Ki', 103n],
    ['100m', 1n],
    ['1Ei', 1_152_921_504_606_846_976n],
  ])('%s → %d', (input, want) => {
    expect(toBytes(input)).toBe(want);
  });
});

describe('compareQuantities', () => {
  const q = (s: string): Quantity => parseQuantity(s)!;
  it.each<[string, string, number]>([
    ['1', '1000m', 0],
    ['1Gi', '1024Mi', 0],
    ['1G', '1Gi', -1],
    ['500m', '0.4', 1],
    ['1e3', '1k', 0],
    ['-1', '0', -1],
  ])('%s vs %s → %d', (a, b, want) => {
    expect(compareQuantities(q(a), q(b))).toBe(want);
  });
});

describe('formatCpu / formatMemory', () => {
  it.each<[bigint | number, string]>([
    [250n, '250m'],
    [2000n, '2'],
    [1500n, '1500m'],
    [0n, '0'],
    [1, '1m'],
    [999.2, '1'], // fractions round up: 999.2 → 1000m → "1"
    [-250n, '-250m'],
  ])('formatCpu(%s) = %s', (m, want) => {
    expect(formatCpu(m)).toBe(want);
  });

  it.each<[bigint | number, string]>([
    [536_870_912n, '512Mi'],
    [1_073_741_824n, '1Gi'],
    [1_610_612_736n, '1536Mi'],
    [1n << 40n, '1Ti'],
    [1n << 60n, '1Ei'],
    [1000n, '1000'],
    [1024n, '1024'],
    [1_000_000_000, '1000000000'],
    [0, '0'],
    [1048576.5, '1048577'],
  ])('formatMemory(%s) = %s', (b, want) => {
    expect(formatMemory(b)).toBe(want);
  });

  it('formatted values parse back to the same amount', () => {
    for (const m of [1n, 250n, 1000n, 1234567n]) expect(toMillicores(formatCpu(m))).toBe(m);
    for (const b of [1n, 1023n, 1n << 20n, 3n << 30n, 123456789n]) expect(toBytes(formatMemory(b))).toBe(b);
  });

  it('rejects non-finite numbers loudly (a programming error, not input)', () => {
    expect(() => formatCpu(Number.NaN)).toThrow(RangeError);
    expect(() => formatMemory(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('NONNEGATIVE_QUANTITY_PATTERN (used verbatim by the CRD)', () => {
  it.each(['0', '250m', '0.1', '1.5Gi', '1e3', '+1', '.5', '1.', '5e-1', '1E'])('accepts %s, which parses to ≥ 0', (s) => {
    expect(NONNEGATIVE_QUANTITY_PATTERN.test(s)).toBe(true);
    expect(parseQuantity(s)!.num >= 0n).toBe(true);
  });

  it.each(['-1', '-0.5', '', '1.2.3', '10 Mi', '1Qi', '1e1000'])('rejects %j', (s) => {
    expect(NONNEGATIVE_QUANTITY_PATTERN.test(s)).toBe(false);
  });
});
