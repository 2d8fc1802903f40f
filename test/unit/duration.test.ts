// Prometheus-style durations ↔ milliseconds; the pattern the CRD uses accepts exactly what the parser accepts.
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, formatDuration, isPositiveDuration, parseDuration } from '../../src/core/duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['30s', 30 * S],
    ['5m', 5 * M],
    ['2h', 2 * H],
    ['7d', 7 * D],
    ['1w', 7 * D],
    ['1h30m', 90 * M],
    ['500ms', 500],
    ['1m500ms', M + 500],
    ['1d2h3m4s5ms', D + 2 * H + 3 * M + 4 * S + 5],
    ['2w1d', 15 * D],
    ['0', 0],
    ['0s', 0],
    ['0h0m', 0],
    ['90s', 90 * S],
    ['9999999w9999999d9999999h9999999m9999999s9999999ms', 9999999 * (7 * D + D + H + M + S + 1)],
  ])('%s = %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
    expect(DURATION_PATTERN.test(input)).toBe(true);
  });

  it('the largest value stays an exact integer', () => {
    expect(Number.isSafeInteger(parseDuration('9999999w9999999d9999999h9999999m9999999s9999999ms'))).toBe(true);
  });

  it.each(['', ' ', '5', '1.5h', '30m1h', '1h1h', '5 m', '-5m', '+5m', '1y', '5M', '5H', '1us', '1ns', '10000000s', 'h', 'ms', '1hm', '00'])(
    'rejects %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
      // The CRD pattern (with minLength 1) rejects exactly the same strings.
      expect(input !== '' && DURATION_PATTERN.test(input)).toBe(false);
    },
  );

  it.each([undefined, null, 30, {}, ['5m']])('rejects the non-string %j without throwing', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('isPositiveDuration', () => {
  it.each<[string, boolean]>([
    ['1ms', true],
    ['5m', true],
    ['0', false],
    ['0s', false],
    ['0w0d0h0m0s0ms', false],
    ['nonsense', false],
  ])('%s → %s', (input, want) => {
    expect(isPositiveDuration(input)).toBe(want);
  });

  it("agrees with the CRD's all-zero test (only 0 and unit letters)", () => {
    for (const s of ['0', '0s', '00m', '0h0m', '10s', '1ms', '100ms', '1w', '0d1h']) {
      expect(isPositiveDuration(s)).toBe(!/^[0wdhms]+$/.test(s));
    }
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [500, '500ms'],
    [30 * S, '30s'],
    [90 * M, '1h30m'],
    [7 * D, '7d'],
    [D + 500, '1d500ms'],
    [1.4, '1ms'],
    [-5 * M, '-5m'],
  ])('%d ms → %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 59_999, 3_600_000, 5_400_000, 604_800_000, 123_456_789_012]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('renders non-finite input as text instead of throwing', () => {
    expect(formatDuration(Number.NaN)).toBe('NaN');
  });
});
