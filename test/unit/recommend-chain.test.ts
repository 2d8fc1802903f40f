import { describe, expect, it } from 'vitest';
import { estimate, recommendContainer, type EstimateInput, type EstimateOk, type EstimateResult, type ResourcePolicy, type StepName } from '../../src/core/recommend/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const Mi = 1_048_576;

// A neutral policy: every step is a no-op unless a case turns it on.
const NEUTRAL: ResourcePolicy = { percentile: 95, overheadPercent: 0, maxChangePercent: 100, minChangePercent: 0, controlledValues: 'RequestsOnly' };

type Over = Omit<Partial<EstimateInput>, 'policy'> & { policy?: Partial<ResourcePolicy> };

function input(over: Over): EstimateInput {
  const { policy, ...rest } = over;
  const base: EstimateInput = {
    resource: 'cpu',
    percentileValue: 250,
    dataPoints: 10_080,
    spanMs: 7 * DAY,
    stepMs: MIN,
    windowMs: 7 * DAY,
    minimumData: { samples: 100, spanMs: DAY },
    current: {},
    policy: NEUTRAL,
  };
  return { ...base, ...rest, policy: { ...NEUTRAL, ...policy } };
}

function ok(r: EstimateResult): EstimateOk {
  if (!r.ok) throw new Error(`expected a recommendation, got ${r.reason}: ${r.message}`);
  return r;
}
const stepValue = (r: EstimateOk, name: StepName): number | undefined => r.explanation.find((s) => s.step === name)?.value;
const stepNote = (r: EstimateOk, name: StepName): string => r.explanation.find((s) => s.step === name)?.note ?? '';

describe('step 1: percentile', () => {
  it.each([
    ['server-side value passes through', { percentileValue: 250 }, 250],
    ['server-side fraction rounds up to a whole millicore', { percentileValue: 250.2 }, 251],
    ['float artefact on an exact value is not bumped', { percentileValue: 250.00000000000003 }, 250],
    ['p95 of 1..100 (type 7: 95.05) rounds up', { percentileValue: undefined, samples: Array.from({ length: 100 }, (_, i) => i + 1), dataPoints: undefined, minimumData: { samples: 10, spanMs: DAY } }, 96],
    ['p100 of samples is the maximum', { percentileValue: undefined, samples: [5, 900, 12, 7], dataPoints: undefined, minimumData: { samples: 1, spanMs: 0 }, policy: { percentile: 100 } }, 900],
  ] as const)('%s', (_name, over, want) => {
    const r = ok(estimate(input(over)));
    expect(stepValue(r, 'percentile')).toBe(want);
  });

  it('names the percentile, the data and the definition', () => {
    const r = ok(estimate(input({ percentileValue: undefined, samples: [100, 200, 300], dataPoints: undefined, minimumData: { samples: 3, spanMs: DAY } })));
    expect(stepNote(r, 'percentile')).toBe("p95 of 3 samples over 7d is 290m (linear interpolation between ranked samples, as Prometheus's quantile_over_time; rounded up to a whole millicore)");
  });
});

describe('step 2: overhead', () => {
  it.each([
    ['15% on 250m = 287.5 → 288m', 250, 15, 288],
    ['10% on 100m is exactly 110m', 100, 10, 110],
    ['0.1% on 1000m is exactly 1001m (no float bump)', 1000, 0.1, 1001],
    ['12.5% on 3m = 3.375 → 4m', 3, 12.5, 4],
    ['0% keeps the value', 250, 0, 250],
    ['200% triples', 250, 200, 750],
  ])('%s', (_name, p, overheadPercent, want) => {
    const r = ok(estimate(input({ percentileValue: p, policy: { overheadPercent } })));
    expect(stepValue(r, 'overhead')).toBe(want);
  });
});

describe('step 3: bounds', () => {
  it.each([
    ['raised to minAllowed', { minAllowed: 300 }, 300, 'raised to minAllowed 300m'],
    ['lowered to maxAllowed', { maxAllowed: 200 }, 200, 'lowered to maxAllowed 200m'],
    ['within both', { minAllowed: 100, maxAllowed: 2000 }, 250, '250m is ≥ minAllowed 100m and ≤ maxAllowed 2: unchanged'],
    ['none configured', {}, 250, 'no minAllowed or maxAllowed configured'],
    ['min = max pins the value', { minAllowed: 400, maxAllowed: 400 }, 400, 'raised to minAllowed 400m'],
  ])('%s', (_name, bounds, want, note) => {
    const r = ok(estimate(input({ percentileValue: 250, policy: bounds })));
    expect(stepValue(r, 'bounds')).toBe(want);
    expect(stepNote(r, 'bounds')).toBe(note);
  });
});

describe('step 4: min-change filter', () => {
  it.each([
    // [name, current request, target, minChangePercent, value after the step, kept?]
    ['+10% exactly at the threshold changes', 1000, 1100, 10, 1100, false],
    ['+9.9% is below the threshold: keep', 1000, 1099, 10, 1000, true],
    ['−10% exactly at the threshold changes', 1000, 900, 10, 900, false],
    ['−9.9% is below the threshold: keep', 1000, 901, 10, 1000, true],
    ['decimal threshold 12.5% hit exactly changes', 800, 900, 12.5, 900, false],
    ['minChangePercent 0 lets 1m through', 1000, 1001, 0, 1001, false],
    ['target equal to the current request', 1000, 1000, 10, 1000, true],
  ])('%s', (_name, request, target, minChangePercent, want, kept) => {
    const r = ok(estimate(input({ percentileValue: target, current: { request }, policy: { minChangePercent } })));
    expect(stepValue(r, 'minChange')).toBe(want);
    expect(r.recommendation.request).toBe(want);
    expect(r.changed).toBe(!kept);
  });

  it('says the change is kept and why', () => {
    const r = ok(estimate(input({ percentileValue: 1050, current: { request: 1000 }, policy: { minChangePercent: 10 } })));
    expect(stepNote(r, 'minChange')).toBe('a change of 5% from the current request 1 is below minChangePercent 10%: keep the current request (no change)');
    expect(stepNote(r, 'rounding')).toBe('the current request 1 is kept exactly as it is');
  });

  it('does not keep a current request that lies outside the bounds', () => {
    const r = ok(estimate(input({ percentileValue: 50, current: { request: 95 }, policy: { minAllowed: 100, minChangePercent: 10 } })));
    expect(r.recommendation.request).toBe(100);
    expect(stepNote(r, 'minChange')).toContain('outside the bounds');
  });

  it('keeps a memory request that is not on the Mi grid exactly (no re-rounding)', () => {
    const r = ok(estimate(input({ resource: 'memory', percentileValue: 1_020_000_000, current: { request: 1_000_000_000 }, policy: { minChangePercent: 10 } })));
    expect(r.recommendation.request).toBe(1_000_000_000);
    expect(r.changed).toBe(false);
  });
});

describe('step 5: maxChangePercent step clamp', () => {
  it.each([
    // [name, current, target, maxChangePercent, value after the step]
    ['target above: clamped up to +50%', 1000, 2000, 50, 1500],
    ['target below: clamped down to −50%', 1000, 100, 50, 500],
    ['target above within the cap', 1000, 1400, 50, 1400],
    ['target below within the cap', 1000, 600, 50, 600],
    ['memory default 30% up', 100 * Mi, 1000 * Mi, 30, 130 * Mi],
    ['30% of 1001m is fractional: up stays inside (1301m)', 1001, 5000, 30, 1301],
    ['30% of 1001m is fractional: down stays inside (701m)', 1001, 1, 30, 701],
    ['maxChange 100% allows halving to 0 before the 1m floor', 1000, 0, 100, 0],
    ['cap under one unit (1m, 50%): smallest step up', 1, 10, 50, 2],
    ['cap under one unit (3m, 30%): smallest step down', 3, 1, 30, 2],
  ])('%s', (_name, request, target, maxChangePercent, want) => {
    const resource = request >= Mi ? 'memory' : 'cpu';
    const r = ok(estimate(input({ resource, percentileValue: target, current: { request }, policy: { maxChangePercent } })));
    expect(stepValue(r, 'maxChange')).toBe(want);
  });

  it('names the cap in the note', () => {
    const r = ok(estimate(input({ percentileValue: 2000, current: { request: 1000 }, policy: { maxChangePercent: 50 } })));
    expect(stepNote(r, 'maxChange')).toBe('clamped by maxChangePercent 50%: one cycle raises 1 by at most 50%, to 1500m');
  });
});

describe('step 6: rounding to the grid', () => {
  it.each([
    // [name, resource, target, current, policy, final request]
    ['memory rounds up to a whole Mi', 'memory', 300_000_000, undefined, {}, 287 * Mi],
    ['memory already on the grid stays', 'memory', 256 * Mi, undefined, {}, 256 * Mi],
    ['memory never below 1Mi', 'memory', 1000, undefined, {}, Mi],
    ['memory of 0 becomes 1Mi', 'memory', 0, undefined, {}, Mi],
    ['cpu never below 1m', 'cpu', 0, undefined, {}, 1],
    ['cpu is already on the 1m grid', 'cpu', 1234, undefined, {}, 1234],
    ['rounding up would pass a non-aligned maxAllowed: round down instead', 'memory', 1_500_000_000, undefined, { maxAllowed: 1_000_000_000 }, 953 * Mi],
    ['rounding up would pass the max-change step: round down instead', 'memory', 2_000_000_000, 1_000_000_000, { maxChangePercent: 30 }, 1239 * Mi],
    ['128Mi + 30% = 166.4Mi: rounded down to 166Mi, not past the step', 'memory', 1000 * Mi, 128 * Mi, { maxChangePercent: 30 }, 166 * Mi],
    ['rounding up would turn a decrease into an increase: keep the current', 'memory', 999_999_000, 1_000_000_000, {}, 1_000_000_000],
  ] as const)('%s', (_name, resource, target, request, policy, want) => {
    const r = ok(estimate(input({ resource, percentileValue: target, current: request === undefined ? {} : { request }, policy })));
    expect(r.recommendation.request).toBe(want);
    expect(stepValue(r, 'rounding')).toBe(want);
  });
});

describe('limits per controlledValues', () => {
  it.each([
    // [name, resource, current, target, controlledValues, want]
    ['RequestsAndLimits keeps the ratio (2×)', 'cpu', { request: 1000, limit: 2000 }, 500, 'RequestsAndLimits', { request: 500, limit: 1000 }],
    ['RequestsAndLimits ratio rounds the limit up', 'cpu', { request: 300, limit: 1000 }, 400, 'RequestsAndLimits', { request: 400, limit: 1334 }],
    ['RequestsAndLimits memory ratio on the Mi grid', 'memory', { request: 256 * Mi, limit: 512 * Mi }, 300 * Mi, 'RequestsAndLimits', { request: 300 * Mi, limit: 600 * Mi }],
    ['RequestsAndLimits with limit = request (Guaranteed) stays equal', 'cpu', { request: 1000, limit: 1000 }, 700, 'RequestsAndLimits', { request: 700, limit: 700 }],
    ['RequestsAndLimits: no limit stays no limit', 'cpu', { request: 1000 }, 700, 'RequestsAndLimits', { request: 700 }],
    ['RequestsAndLimits: request unchanged keeps a non-aligned limit exactly', 'memory', { request: 512 * Mi, limit: 1_000_000_000 }, 512 * Mi, 'RequestsAndLimits', { request: 512 * Mi, limit: 1_000_000_000 }],
    ['RequestsOnly leaves the limit', 'cpu', { request: 1000, limit: 2000 }, 500, 'RequestsOnly', { request: 500, limit: 2000 }],
    ['RequestsOnly: no limit stays no limit', 'memory', { request: 100 * Mi }, 120 * Mi, 'RequestsOnly', { request: 120 * Mi }],
    ['RequestsOnly caps the request at the limit', 'cpu', { request: 500, limit: 600 }, 900, 'RequestsOnly', { request: 600, limit: 600 }],
    ['no current request, RequestsAndLimits: no ratio, request capped at the limit', 'cpu', { limit: 400 }, 900, 'RequestsAndLimits', { request: 400, limit: 400 }],
  ] as const)('%s', (_name, resource, current, target, controlledValues, want) => {
    const r = ok(estimate(input({ resource, percentileValue: target, current, policy: { controlledValues } })));
    expect(r.recommendation).toEqual(want);
    if (r.recommendation.limit !== undefined) expect(r.recommendation.limit).toBeGreaterThanOrEqual(r.recommendation.request);
    if (!('limit' in current)) expect('limit' in r.recommendation).toBe(false);
  });

  it('records the cap as its own step', () => {
    const r = ok(estimate(input({ percentileValue: 900, current: { request: 500, limit: 600 } })));
    expect(r.explanation.map((s) => s.step)).toEqual(['percentile', 'overhead', 'bounds', 'minChange', 'maxChange', 'rounding', 'limitCap', 'limit']);
    expect(stepNote(r, 'limitCap')).toBe('capped at the current limit 600m: a request cannot exceed its limit and RequestsOnly never changes limits');
  });
});

describe('no current request', () => {
  it('skips steps 4–5 with a reason and returns the bounded, rounded target', () => {
    const r = ok(estimate(input({ resource: 'memory', percentileValue: 300_000_000, current: {}, policy: { overheadPercent: 10, minAllowed: 64 * Mi, maxAllowed: 4096 * Mi, maxChangePercent: 30, minChangePercent: 10 } })));
    // 300,000,000 × 1.1 = 330,000,000 → 315 Mi (314.7 rounded up).
    expect(r.recommendation).toEqual({ request: 315 * Mi });
    expect(stepNote(r, 'minChange')).toBe('skipped: no current request, so there is no relative change to filter');
    expect(stepNote(r, 'maxChange')).toBe('skipped: no current request, so the first recommendation is not step-limited');
    expect(r.changed).toBe(true);
  });

  it('treats a request of 0 like none for steps 4–5', () => {
    const r = ok(estimate(input({ percentileValue: 250, current: { request: 0 }, policy: { maxChangePercent: 10 } })));
    expect(r.recommendation.request).toBe(250);
    expect(stepNote(r, 'maxChange')).toContain('the current request is 0');
  });
});

describe('the whole chain', () => {
  it('records every step in order with integer values', () => {
    const r = ok(estimate(input({ percentileValue: 250, current: { request: 1000, limit: 2000 }, policy: { overheadPercent: 15, maxChangePercent: 50, minChangePercent: 10, controlledValues: 'RequestsAndLimits' } })));
    expect(r.explanation.map((s) => [s.step, s.value])).toEqual([
      ['percentile', 250],
      ['overhead', 288],
      ['bounds', 288],
      ['minChange', 288],
      ['maxChange', 500],
      ['rounding', 500],
      ['limit', 1000],
    ]);
    for (const s of r.explanation) {
      expect(Number.isSafeInteger(s.value)).toBe(true);
      expect(s.note.length).toBeGreaterThan(0);
    }
    expect(r.recommendation).toEqual({ request: 500, limit: 1000 });
    expect(r.confidence).toBe(1);
  });

  // An independent hand computation: type-7 percentile × (1 + overhead), then bounds, the step clamp and
  // the grid, written out plainly on fixtures where floating point is exact.
  function byHand(samples: number[], p: number, overhead: number, min: number, max: number, current: number, maxChange: number, grid: number): number {
    const s = [...samples].sort((a, b) => a - b);
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    const pct = s[lo]! + (rank - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
    const target = Math.min(max, Math.max(min, Math.ceil(Math.ceil(pct) * (1 + overhead / 100))));
    const stepped = Math.min(current * (1 + maxChange / 100), Math.max(current * (1 - maxChange / 100), target));
    return Math.max(grid, Math.ceil(stepped / grid) * grid);
  }

  const week = Array.from({ length: 2016 }, (_, i) => 100 + ((i * 37) % 400)); // 5-minute samples, 100..499 m
  const mem = Array.from({ length: 200 }, (_, i) => (200 + (i % 50)) * Mi); // 200..249 Mi
  it.each([
    ['cpu p95 +15%, clamped by 50%', 'cpu', week, 95, 15, 50, 4000, 2000, 50, 1],
    ['cpu p50 +0%, raised to minAllowed', 'cpu', week, 50, 0, 400, 4000, 420, 50, 1],
    ['cpu p99 +20%, within the cap', 'cpu', week, 99, 20, 10, 4000, 500, 50, 1],
    ['memory p99 +10%, clamped by 30% up', 'memory', mem, 99, 10, 16 * Mi, 8192 * Mi, 100 * Mi, 30, Mi],
    ['memory p90 +25%, lowered to maxAllowed', 'memory', mem, 90, 25, 16 * Mi, 256 * Mi, 250 * Mi, 30, Mi],
  ] as const)('%s matches the hand computation', (_name, resource, samples, percentile, overheadPercent, minAllowed, maxAllowed, request, maxChangePercent, grid) => {
    const r = ok(
      estimate({
        resource,
        samples,
        spanMs: 7 * DAY,
        windowMs: 7 * DAY,
        minimumData: { samples: 100, spanMs: DAY },
        current: { request },
        policy: { percentile, overheadPercent, minAllowed, maxAllowed, maxChangePercent, minChangePercent: 0, controlledValues: 'RequestsOnly' },
      }),
    );
    expect(r.recommendation.request).toBe(byHand(samples, percentile, overheadPercent, minAllowed, maxAllowed, request, maxChangePercent, grid));
  });
});

describe('recommendContainer', () => {
  it('runs the chain for cpu and memory', () => {
    const common = { spanMs: 7 * DAY, windowMs: 7 * DAY, minimumData: { samples: 100, spanMs: DAY }, stepMs: MIN };
    const rec = recommendContainer({
      cpu: { ...common, percentileValue: 250, dataPoints: 10_080, current: { request: 1000 }, policy: { ...NEUTRAL, overheadPercent: 15, maxChangePercent: 50 } },
      memory: { ...common, percentileValue: 200 * Mi, dataPoints: 10, current: { request: 256 * Mi }, policy: { ...NEUTRAL, percentile: 99 } },
    });
    expect(rec.cpu.ok && rec.cpu.recommendation).toEqual({ request: 500 });
    expect(rec.memory.ok).toBe(false);
    expect(rec.memory.ok === false && rec.memory.reason).toBe('InsufficientData');
    expect(rec.changed).toBe(true);
  });
});
