import { describe, expect, it } from 'vitest';
import {
  confidence,
  estimate,
  formatDuration,
  formatQuantity,
  isStale,
  percentileOf,
  recommendContainer,
  summarize,
  type DataCoverage,
  type EstimateInput,
  type ResourcePolicy,
} from '../../src/core/recommend/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const Mi = 1_048_576;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0); // the fixed clock

const POLICY: ResourcePolicy = { percentile: 95, overheadPercent: 15, maxChangePercent: 50, minChangePercent: 10, controlledValues: 'RequestsOnly' };
const BASE: EstimateInput = {
  resource: 'cpu',
  percentileValue: 250,
  dataPoints: 10_080,
  spanMs: 7 * DAY,
  stepMs: MIN,
  windowMs: 7 * DAY,
  minimumData: { samples: 100, spanMs: DAY },
  current: { request: 1000 },
  policy: POLICY,
};

describe('percentileOf (type 7, as Prometheus)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    ['p50 of 1..100', oneToHundred, 50, 50.5],
    ['p95 of 1..100', oneToHundred, 95, 95.05],
    ['p100 is the maximum', oneToHundred, 100, 100],
    ['a single sample', [42], 99, 42],
    ['unsorted input', [30, 10, 20], 50, 20],
    ['p90 of [1, 2, 3, 4, 5]: rank 3.6 → 4.6', [5, 4, 3, 2, 1], 90, 4.6],
  ])('%s', (_name, samples, p, want) => expect(percentileOf(samples, p)).toBeCloseTo(want, 9));

  it('does not reorder the caller’s array', () => {
    const s = [3, 1, 2];
    percentileOf(s, 50);
    expect(s).toEqual([3, 1, 2]);
  });
});

describe('insufficient data: no recommendation, and how much is missing', () => {
  it.each([
    ['both short', { dataPoints: 37, spanMs: 5 * HOUR + 12 * MIN }, 'need 100 samples over 24h, have 37 over 5h12m: 63 samples and 18h48m more', { samples: 63, spanMs: 18 * HOUR + 48 * MIN }],
    ['samples short', { dataPoints: 99, spanMs: 30 * HOUR }, 'need 100 samples over 24h, have 99 over 30h: 1 sample more', { samples: 1, spanMs: 0 }],
    ['span short, 7d minimum', { dataPoints: 5000, spanMs: 2 * DAY, minimumData: { samples: 100, spanMs: 7 * DAY } }, 'need 100 samples over 7d, have 5000 over 2d: 5d more', { samples: 0, spanMs: 5 * DAY }],
    ['no data at all', { dataPoints: 0, spanMs: 0 }, 'need 100 samples over 24h, have 0 over 0s: 100 samples and 24h more', { samples: 100, spanMs: DAY }],
    ['empty samples with no minimum still need one sample', { percentileValue: undefined, samples: [], dataPoints: undefined, spanMs: 0, minimumData: { samples: 0, spanMs: 0 } }, 'need 1 sample, have 0: 1 sample more', { samples: 1, spanMs: 0 }],
    ['missing time is rounded up to the second', { dataPoints: 500, spanMs: DAY - 1500 }, 'need 100 samples over 24h, have 500 over 23h59m58s: 2s more', { samples: 0, spanMs: 1500 }],
  ] as const)('%s', (_name, over, message, missing) => {
    const r = estimate({ ...BASE, ...(over as Partial<EstimateInput>) });
    expect(r).toMatchObject({ ok: false, reason: 'InsufficientData', resource: 'cpu', message, missing });
    expect('recommendation' in r).toBe(false);
  });

  it('exactly at the minimum is enough', () => {
    const r = estimate({ ...BASE, dataPoints: 100, spanMs: DAY });
    expect(r.ok).toBe(true);
  });
});

describe('invalid input is reported, never thrown', () => {
  const cases: [string, unknown, string][] = [
    ['NaN sample', { ...BASE, percentileValue: undefined, dataPoints: undefined, samples: [1, Number.NaN, 3] }, 'samples[1]'],
    ['negative sample', { ...BASE, percentileValue: undefined, dataPoints: undefined, samples: [1, 2, -5] }, 'samples[2]'],
    ['infinite sample', { ...BASE, percentileValue: undefined, dataPoints: undefined, samples: [Infinity] }, 'samples[0]'],
    ['a string sample', { ...BASE, percentileValue: undefined, dataPoints: undefined, samples: ['250m'] }, 'samples[0]'],
    ['NaN percentileValue', { ...BASE, percentileValue: Number.NaN }, 'percentileValue'],
    ['negative percentileValue', { ...BASE, percentileValue: -1 }, 'percentileValue'],
    ['neither samples nor percentile', { ...BASE, percentileValue: undefined }, 'samples'],
    ['both samples and percentile', { ...BASE, samples: [1] }, 'samples'],
    ['dataPoints not matching samples', { ...BASE, percentileValue: undefined, samples: [1, 2], dataPoints: 3 }, 'dataPoints'],
    ['fractional dataPoints', { ...BASE, dataPoints: 2.5 }, 'dataPoints'],
    ['NaN spanMs', { ...BASE, spanMs: Number.NaN }, 'spanMs'],
    ['zero window', { ...BASE, windowMs: 0 }, 'windowMs'],
    ['unknown resource', { ...BASE, resource: 'gpu' }, 'resource'],
    ['fractional current request', { ...BASE, current: { request: 0.5 } }, 'current.request'],
    ['negative current limit', { ...BASE, current: { limit: -1 } }, 'current.limit'],
    ['limit below request', { ...BASE, current: { request: 1000, limit: 500 } }, 'current.limit'],
    ['percentile 0', { ...BASE, policy: { ...POLICY, percentile: 0 } }, 'policy.percentile'],
    ['percentile 101', { ...BASE, policy: { ...POLICY, percentile: 101 } }, 'policy.percentile'],
    ['negative overhead', { ...BASE, policy: { ...POLICY, overheadPercent: -5 } }, 'policy.overheadPercent'],
    ['minAllowed above maxAllowed', { ...BASE, policy: { ...POLICY, minAllowed: 500, maxAllowed: 100 } }, 'policy.minAllowed'],
    ['maxChangePercent 0', { ...BASE, policy: { ...POLICY, maxChangePercent: 0 } }, 'policy.maxChangePercent'],
    ['minChangePercent 101', { ...BASE, policy: { ...POLICY, minChangePercent: 101 } }, 'policy.minChangePercent'],
    ['unknown controlledValues', { ...BASE, policy: { ...POLICY, controlledValues: 'Limits' } }, 'policy.controlledValues'],
    ['missing policy (older object)', { ...BASE, policy: undefined }, 'policy'],
    ['negative minimum samples', { ...BASE, minimumData: { samples: -1, spanMs: 0 } }, 'minimumData.samples'],
    ['not an object', null, 'input'],
  ];
  it.each(cases)('%s', (_name, bad, field) => {
    let r: ReturnType<typeof estimate> | undefined;
    expect(() => {
      r = estimate(bad as EstimateInput);
    }).not.toThrow();
    expect(r).toMatchObject({ ok: false, reason: 'InvalidInput', field });
    expect(r && !r.ok && r.message).toMatch(/\S/);
  });

  it('names the field and value in the message', () => {
    const r = estimate({ ...BASE, percentileValue: undefined, dataPoints: undefined, samples: [1, -5] });
    expect(r).toMatchObject({ message: 'usage sample 1 is -5: samples must be finite numbers of millicores, ≥ 0' });
  });
});

describe('confidence', () => {
  const cov = (dataPoints: number, spanMs: number, over: Partial<DataCoverage> = {}): DataCoverage => ({
    dataPoints,
    spanMs,
    windowMs: 7 * DAY,
    stepMs: 5 * MIN,
    minimumData: { samples: 100, spanMs: DAY },
    ...over,
  });
  it.each([
    ['a full, complete window', cov(2016, 7 * DAY), 1],
    ['half the window, complete', cov(1008, 3.5 * DAY), 0.5],
    ['a full span with half the points', cov(1008, 7 * DAY), 0.5],
    ['one day, complete', cov(288, DAY), 0.14],
    ['pooled samples from several pods cap at 1', cov(20_160, 7 * DAY), 1],
    ['below the minimum is 0', cov(99, 7 * DAY), 0],
    ['no step: the minimum density extended to the window (700 points)', cov(350, 7 * DAY, { stepMs: undefined }), 0.5],
    ['no step and no minimum span: only the span counts', cov(5, 3.5 * DAY, { stepMs: undefined, minimumData: { samples: 1, spanMs: 0 } }), 0.5],
  ])('%s', (_name, c, want) => expect(confidence(c)).toBe(want));

  it('is monotonic in span and in points', () => {
    const spans = [DAY, 1.5 * DAY, 2 * DAY, 3 * DAY, 5 * DAY, 7 * DAY, 9 * DAY];
    const points = [100, 150, 288, 500, 1000, 2016, 5000];
    for (let i = 0; i < spans.length; i++) {
      for (let j = 0; j < points.length; j++) {
        const here = confidence(cov(points[j]!, spans[i]!));
        expect(here).toBeGreaterThanOrEqual(0);
        expect(here).toBeLessThanOrEqual(1);
        if (i > 0) expect(here).toBeGreaterThanOrEqual(confidence(cov(points[j]!, spans[i - 1]!)));
        if (j > 0) expect(here).toBeGreaterThanOrEqual(confidence(cov(points[j - 1]!, spans[i]!)));
      }
    }
  });

  it('is reported by the chain', () => {
    const r = estimate({ ...BASE, dataPoints: 5040, spanMs: 3.5 * DAY });
    expect(r.ok && r.confidence).toBe(0.5);
  });
});

describe('isStale (fixed clock)', () => {
  it.each([
    ['fresh', NOW - 5 * MIN, 10 * MIN, false],
    ['exactly at the bound is not stale', NOW - 10 * MIN, 10 * MIN, false],
    ['one millisecond over', NOW - 10 * MIN - 1, 10 * MIN, true],
    ['never updated', undefined, 10 * MIN, true],
    ['NaN timestamp', Number.NaN, 10 * MIN, true],
    ['in the future (clock skew)', NOW + HOUR, 10 * MIN, false],
  ])('%s', (_name, last, maxAge, want) => expect(isStale(last, NOW, maxAge)).toBe(want));
});

describe('summarize', () => {
  it.each([
    ['clamped by the step', BASE, 'cpu request 1 → 500m (p95 250m + 15% overhead = 288m, clamped by maxChangePercent 50% to 500m); confidence 1'],
    ['kept by the noise filter', { ...BASE, percentileValue: 870 }, 'cpu request 1 unchanged (p95 870m + 15% overhead = 1001m, within minChangePercent 10% of the current request, kept); confidence 1'],
    ['first request, raised to minAllowed', { ...BASE, current: {}, policy: { ...POLICY, minAllowed: 300 } }, 'cpu request unset → 300m (p95 250m + 15% overhead = 288m, raised to minAllowed 300m); confidence 1'],
    [
      'memory with a limit kept in ratio',
      { ...BASE, resource: 'memory', percentileValue: 200 * Mi, current: { request: 256 * Mi, limit: 512 * Mi }, policy: { ...POLICY, overheadPercent: 0, maxChangePercent: 30, controlledValues: 'RequestsAndLimits' } },
      'memory request 256Mi → 200Mi (p95 200Mi); limit 512Mi → 400Mi; confidence 1',
    ],
    ['insufficient data', { ...BASE, dataPoints: 37, spanMs: 5 * HOUR + 12 * MIN }, 'cpu: no recommendation yet: need 100 samples over 24h, have 37 over 5h12m: 63 samples and 18h48m more'],
  ] as const)('%s', (_name, inp, want) => expect(summarize(estimate(inp as EstimateInput))).toBe(want));

  it('joins a container’s two sentences', () => {
    const { resource: _r, ...cpu } = BASE;
    const rec = recommendContainer({ cpu, memory: { ...cpu, percentileValue: 100 * Mi, current: { request: 100 * Mi }, policy: { ...POLICY, overheadPercent: 0 } } });
    expect(summarize(rec)).toBe(
      'cpu request 1 → 500m (p95 250m + 15% overhead = 288m, clamped by maxChangePercent 50% to 500m); confidence 1; memory request 100Mi unchanged (p95 100Mi); confidence 1',
    );
  });
});

describe('formatting', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [DAY, '24h'],
    [2 * DAY, '2d'],
    [3.5 * DAY, '3d12h'],
    [5 * HOUR + 12 * MIN, '5h12m'],
  ])('duration %d ms = %s', (ms, want) => expect(formatDuration(ms)).toBe(want));

  it.each([
    ['cpu', 250, '250m'],
    ['cpu', 2000, '2'],
    ['memory', 288 * Mi, '288Mi'],
    ['memory', 2 * 1024 * Mi, '2Gi'],
    ['memory', 1_000_000_000, '1G'],
    ['memory', 1_000_000_001, '1000000001 (≈953.7Mi)'],
    ['memory', 1001, '1001'],
  ] as const)('%s %d = %s', (resource, v, want) => expect(formatQuantity(resource, v)).toBe(want));
});
