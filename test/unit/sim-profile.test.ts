import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_CONTAINER_PROFILE, NOISE_STEP_MS, demandAt, noiseAt, parseProfile, profileFor, profileFromAnnotations, PROFILE_ANNOTATION, type SeriesProfile } from '../../hack/sim/profile.ts';
import { parseDuration, parseQuantity } from '../../hack/sim/units.ts';

const HOUR = 3_600_000;
const series = (s: Partial<SeriesProfile> & { base: number }): SeriesProfile => ({ dailyAmplitude: 0, noise: 0, growthPerDay: 0, ...s });
// A Monday 00:00 UTC, far from epoch so bucket arithmetic is exercised with real magnitudes.
const MIDNIGHT = Date.UTC(2026, 10, 23);

describe('parseQuantity', () => {
  it.each([
    ['1.5Gi', 1610612736],
    ['256Mi', 268435456],
    ['1Ki', 1024],
    ['500M', 500_000_000],
    ['1G', 1e9],
    ['250m', 0.25],
    ['1.5', 1.5],
    ['2', 2],
    ['.5', 0.5],
    ['100n', 1e-7],
    ['10u', 1e-5],
    ['1k', 1000],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1E', 1e18],
    ['5e-1', 0.5],
    ['-1', -1],
    ['0', 0],
  ])('%s = %d', (text, value) => expect(parseQuantity(text)).toBe(value));

  it.each(['', 'abc', 'Gi', '1.5.5', '1 Gi', '1gi', '1KB', '1e', '1Mi2', '--1'])('rejects %j', (text) => expect(parseQuantity(text)).toBeUndefined());
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 7 * DAY_MS],
    ['1w', 7 * DAY_MS],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 'm', '5x', '5 m', '-5m', '1h 30m', 'h1'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('parseProfile', () => {
  it('parses YAML with quantities and durations into base units and milliseconds', () => {
    const r = parseProfile(`
containers:
  app:
    cpu: { base: 250m, dailyAmplitude: 0.3, noise: 0.1, spikes: { every: 1h, duration: 5m, magnitude: 2 } }
    memory: { base: 1.5Gi, growthPerDay: 0.05, startupPeak: { magnitude: 0.5, duration: 10m } }
    readiness: { notReadyWhenThrottledAbove: 0.25 }
default:
  cpu: { base: 1 }
`);
    expect(r).toEqual({
      ok: true,
      profile: {
        containers: {
          app: {
            cpu: { base: 0.25, dailyAmplitude: 0.3, noise: 0.1, growthPerDay: 0, spikes: { everyMs: HOUR, durationMs: 300_000, magnitude: 2 } },
            memory: { base: 1610612736, dailyAmplitude: 0, noise: 0, growthPerDay: 0.05, startupPeak: { magnitude: 0.5, durationMs: 600_000 } },
            readiness: { notReadyWhenThrottledAbove: 0.25 },
          },
        },
        default: { cpu: { base: 1, dailyAmplitude: 0, noise: 0, growthPerDay: 0 } },
      },
    });
  });

  it('parses JSON, and numbers as base units', () => {
    const r = parseProfile('{"containers":{"a":{"memory":{"base":1048576},"cpu":{"base":"500m"}}}}');
    expect(r.ok && r.profile.containers.a).toMatchObject({ memory: { base: 1048576 }, cpu: { base: 0.5 } });
  });

  it.each([
    ['containers: {app: {cpu: {base: abc}}}', 'containers.app.cpu.base: invalid quantity "abc"'],
    ['containers: {app: {cpu: {noise: 0.1}}}', 'containers.app.cpu.base: required'],
    ['containers: {app: {memory: {base: -1Gi}}}', 'containers.app.memory.base: must not be negative, got "-1Gi"'],
    ['containers: {app: {cpu: {base: 1, dailyAmplitdue: 0.2}}}', 'containers.app.cpu: unknown field "dailyAmplitdue"'],
    ['containers: {app: {cpu: {base: 1, noise: high}}}', 'containers.app.cpu.noise: expected a number, got "high"'],
    ['containers: {app: {cpu: {base: 1, noise: -0.1}}}', 'containers.app.cpu.noise: must be between 0 and Infinity, got -0.1'],
    ['default: {memory: {base: 1Gi, spikes: {every: 1x, duration: 5m, magnitude: 1}}}', 'default.memory.spikes.every: invalid duration "1x"'],
    ['default: {memory: {base: 1Gi, spikes: {every: 0s, duration: 5m, magnitude: 1}}}', 'default.memory.spikes.every: must be longer than 0, got "0s"'],
    ['default: {cpu: {base: 1, startupPeak: {magnitude: 1}}}', 'default.cpu.startupPeak.duration: required'],
    ['containers: {app: {readiness: {notReadyWhenThrottledAbove: 2}}}', 'containers.app.readiness.notReadyWhenThrottledAbove: must be between 0 and 1, got 2'],
    ['containers: {app: 3}', 'containers.app: expected object, received number'],
    ['container: {app: {}}', '(profile): unknown field "container"'],
    ['[1, 2]', '(profile): expected a mapping'],
    ['just text', '(profile): expected a mapping'],
    ['', '(profile): empty'],
    ['containers: [', 'invalid YAML at line 1, column 14: unexpected end of the stream'],
    ['a: 1\na: 2', 'invalid YAML at line 2, column 1: duplicated mapping key'],
  ])('%j → %s', (text, error) => {
    const r = parseProfile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.slice(0, error.length)).toBe(error);
      expect(r.error).not.toContain('\n');
    }
  });

  it('never throws, whatever the input', () => {
    for (const text of ['null', '~', '42', '"x"', '{containers: null}', '{containers: {a: null}}', '{default: []}', '&a [*a]', '!!binary x', 'a: !!js/regexp /x/', '{"__proto__": {"x": 1}}', '\u0000']) {
      expect(() => parseProfile(text)).not.toThrow();
    }
    expect(parseProfile('{containers: {a: null}}').ok).toBe(false);
  });

  it('reads the annotation, and reports errors naming it', () => {
    expect(profileFromAnnotations(undefined)).toEqual({});
    expect(profileFromAnnotations({ other: 'x' })).toEqual({});
    expect(profileFromAnnotations({ [PROFILE_ANNOTATION]: 'default: {cpu: {base: 2}}' }).profile?.default?.cpu?.base).toBe(2);
    expect(profileFromAnnotations({ [PROFILE_ANNOTATION]: 'default: {cpu: {base: x}}' }).error).toBe(`annotation ${PROFILE_ANNOTATION}: default.cpu.base: invalid quantity "x"`);
  });
});

describe('profileFor', () => {
  const r = parseProfile('containers: {app: {cpu: {base: 2}}}\ndefault: {memory: {base: 1Gi}, readiness: {notReadyWhenThrottledAbove: 0.5}}');
  if (!r.ok) throw new Error(r.error);

  it('takes each resource from the container, else the pod default, else the global default', () => {
    expect(profileFor(r.profile, 'app')).toEqual({ cpu: series({ base: 2 }), memory: series({ base: 2 ** 30 }), readiness: { notReadyWhenThrottledAbove: 0.5 } });
    expect(profileFor(r.profile, 'sidecar')).toEqual({ cpu: DEFAULT_CONTAINER_PROFILE.cpu, memory: series({ base: 2 ** 30 }), readiness: { notReadyWhenThrottledAbove: 0.5 } });
    expect(profileFor(undefined, 'app')).toEqual(DEFAULT_CONTAINER_PROFILE);
    // Container names that are also Object.prototype members are ordinary names.
    expect(profileFor(r.profile, 'constructor')).toEqual(profileFor(r.profile, 'sidecar'));
    const named = parseProfile('containers: {constructor: {cpu: {base: 3}}}');
    expect(named.ok && profileFor(named.profile, 'constructor').cpu.base).toBe(3);
  });
});

describe('demandAt', () => {
  it('is a constant base without other terms', () => {
    for (const t of [MIDNIGHT, MIDNIGHT + 7 * HOUR, MIDNIGHT + 3 * DAY_MS]) expect(demandAt(series({ base: 0.5 }), 's', MIDNIGHT, t)).toBe(0.5);
  });

  it('follows the daily sine on UTC time of day', () => {
    const s = series({ base: 100, dailyAmplitude: 0.4 });
    const at = (h: number) => demandAt(s, 's', MIDNIGHT - 30 * DAY_MS, MIDNIGHT + h * HOUR);
    expect(at(0)).toBeCloseTo(100, 9);
    expect(at(6)).toBeCloseTo(140, 9);
    expect(at(12)).toBeCloseTo(100, 9);
    expect(at(18)).toBeCloseTo(60, 9);
    expect(at(24 + 6)).toBeCloseTo(140, 9);
    expect(at(3)).toBeCloseTo(100 + 40 * Math.SQRT1_2, 9);
  });

  it('adds spikes inside each window, aligned to the wall clock', () => {
    const s = series({ base: 10, spikes: { everyMs: HOUR, durationMs: 300_000, magnitude: 2 } });
    const at = (t: number) => demandAt(s, 's', MIDNIGHT - DAY_MS, t);
    expect(at(MIDNIGHT)).toBe(30);
    expect(at(MIDNIGHT + 299_999)).toBe(30);
    expect(at(MIDNIGHT + 300_000)).toBe(10);
    expect(at(MIDNIGHT + HOUR - 1)).toBe(10);
    expect(at(MIDNIGHT + 5 * HOUR + 60_000)).toBe(30);
  });

  it('grows linearly with time since start, from zero at start', () => {
    const s = series({ base: 100, growthPerDay: 0.25 });
    expect(demandAt(s, 's', MIDNIGHT, MIDNIGHT)).toBe(100);
    expect(demandAt(s, 's', MIDNIGHT, MIDNIGHT + DAY_MS / 2)).toBeCloseTo(112.5, 9);
    expect(demandAt(s, 's', MIDNIGHT, MIDNIGHT + 2 * DAY_MS)).toBeCloseTo(150, 9);
    expect(demandAt(s, 's', MIDNIGHT, MIDNIGHT - DAY_MS)).toBe(100); // before start: no growth
  });

  it('has a start-up peak decaying linearly over its duration', () => {
    const s = series({ base: 100, startupPeak: { magnitude: 3, durationMs: 600_000 } });
    const at = (dt: number) => demandAt(s, 's', MIDNIGHT, MIDNIGHT + dt);
    expect(at(0)).toBe(400);
    expect(at(300_000)).toBe(250);
    expect(at(450_000)).toBe(175);
    expect(at(600_000)).toBe(100);
    expect(at(DAY_MS)).toBe(100);
    expect(at(-1)).toBe(100);
  });

  it('has deterministic noise: constant per 15 s bucket, different per seed, bounded, centred', () => {
    const s = series({ base: 100, noise: 0.2 });
    const t = MIDNIGHT + 17 * NOISE_STEP_MS;
    expect(demandAt(s, 'a', MIDNIGHT, t)).toBe(demandAt(s, 'a', MIDNIGHT, t + NOISE_STEP_MS - 1));
    expect(demandAt(s, 'a', MIDNIGHT, t)).not.toBe(demandAt(s, 'a', MIDNIGHT, t + NOISE_STEP_MS));
    expect(demandAt(s, 'a', MIDNIGHT, t)).not.toBe(demandAt(s, 'b', MIDNIGHT, t));
    const values = Array.from({ length: 20_000 }, (_, i) => demandAt(s, 'seed', MIDNIGHT, MIDNIGHT + i * NOISE_STEP_MS));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...values)).toBeLessThan(120);
    expect(Math.min(...values)).toBeLessThan(80.1);
    expect(Math.max(...values)).toBeGreaterThan(119.9);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 100)).toBeLessThan(0.3);
    // Roughly uniform: each tenth of the range holds about a tenth of the draws.
    const deciles = new Array<number>(10).fill(0);
    for (const v of values) deciles[Math.floor((v - 80) / 4)]!++;
    for (const n of deciles) expect(Math.abs(n - 2000)).toBeLessThan(200);
    expect(noiseAt('a', t)).toBe(noiseAt('a', t));
  });

  it('never goes negative', () => {
    const s = series({ base: 1, dailyAmplitude: 3, noise: 2 });
    const values = Array.from({ length: 5_760 }, (_, i) => demandAt(s, 'n', MIDNIGHT, MIDNIGHT + i * NOISE_STEP_MS));
    expect(Math.min(...values)).toBe(0);
    expect(values.filter((v) => v === 0).length).toBeGreaterThan(100);
    expect(Math.max(...values)).toBeGreaterThan(4);
  });
});
