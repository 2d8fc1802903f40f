import { describe, expect, it } from 'vitest';
import { CFS_PERIOD_MS, RESTART_DELAY_MS, initialState, inject, isReady, isRunning, step, type ContainerState, type Limits } from '../../hack/sim/container-model.ts';
import { DAY_MS, DEFAULT_CONTAINER_PROFILE, type ContainerProfile, type SeriesProfile } from '../../hack/sim/profile.ts';

const MiB = 2 ** 20;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 23);
const series = (s: Partial<SeriesProfile> & { base: number }): SeriesProfile => ({ dailyAmplitude: 0, noise: 0, growthPerDay: 0, ...s });
const profile = (cpu: SeriesProfile, memory: SeriesProfile, readiness: ContainerProfile['readiness'] = {}): ContainerProfile => ({ cpu, memory, readiness });

/** Steps from T0 to T0 + durationMs in steps of stepMs, collecting states and events. */
function run(p: ContainerProfile, limits: Limits, durationMs: number, stepMs: number, seed = 'seed') {
  let state = initialState(T0);
  const states: ContainerState[] = [];
  const events: number[] = [];
  for (let t = T0; t < T0 + durationMs; t += stepMs) {
    const r = step(state, p, limits, seed, t, Math.min(t + stepMs, T0 + durationMs));
    state = r.state;
    states.push(state);
    events.push(...r.events.map((e) => e.atMs - T0));
  }
  return { state, states, events };
}

describe('CPU', () => {
  it('without a limit, uses its demand and counts no CFS periods', () => {
    const { state } = run(profile(series({ base: 0.5 }), series({ base: 64 * MiB })), {}, HOUR, 60_000);
    expect(state.cpuSecondsTotal).toBeCloseTo(1800, 9);
    expect(state.cpuUsageCores).toBeCloseTo(0.5, 12);
    expect(state.cfsPeriodsTotal).toBe(0);
    expect(state.cfsThrottledPeriodsTotal).toBe(0);
    expect(state.throttledRatio).toBe(0);
  });

  it('with a limit below demand, is capped and counts throttled periods in proportion', () => {
    const p = profile(series({ base: 1 }), series({ base: 64 * MiB }), { notReadyWhenThrottledAbove: 0.25 });
    const { state } = run(p, { cpuCores: 0.5 }, 60_000, 60_000);
    expect(state.cpuSecondsTotal).toBeCloseTo(30, 9);
    expect(state.cpuUsageCores).toBeCloseTo(0.5, 12);
    expect(state.cfsPeriodsTotal).toBe(60_000 / CFS_PERIOD_MS);
    expect(state.cfsThrottledPeriodsTotal).toBeCloseTo(300, 9);
    expect(state.throttledRatio).toBeCloseTo(0.5, 12);
    expect(isReady(state, p)).toBe(false);
    expect(isReady(state, { ...p, readiness: { notReadyWhenThrottledAbove: 0.6 } })).toBe(true);
    expect(isReady(state, { ...p, readiness: {} })).toBe(true);
  });

  it('with a limit above demand, counts periods but no throttling', () => {
    const { state } = run(profile(series({ base: 0.2 }), series({ base: 64 * MiB })), { cpuCores: 1 }, 10 * 60_000, 60_000);
    expect(state.cpuSecondsTotal).toBeCloseTo(120, 9);
    expect(state.cfsPeriodsTotal).toBe(6000);
    expect(state.cfsThrottledPeriodsTotal).toBe(0);
  });

  it('throttles only while demand exceeds the limit (spikes)', () => {
    // 1 core for 5 min of every hour, 0.1 core otherwise; limit 0.5 core.
    const p = profile(series({ base: 0.1, spikes: { everyMs: HOUR, durationMs: 300_000, magnitude: 9 } }), series({ base: MiB }));
    const { state } = run(p, { cpuCores: 0.5 }, 2 * HOUR, 60_000);
    expect(state.cpuSecondsTotal).toBeCloseTo(2 * (300 * 0.5 + 3300 * 0.1), 6);
    expect(state.cfsThrottledPeriodsTotal).toBeCloseTo(2 * 3000 * 0.5, 6);
    expect(state.cfsPeriodsTotal).toBe(72_000);
  });
});

describe('memory', () => {
  it('below the limit, the working set is the demand and nothing happens', () => {
    const { state, events } = run(profile(series({ base: 0.1 }), series({ base: 100 * MiB })), { memoryBytes: 200 * MiB }, HOUR, 60_000);
    expect(events).toEqual([]);
    expect(state.workingSetBytes).toBe(100 * MiB);
    expect(state.restarts).toBe(0);
    expect(state.lastTerminatedReason).toBeUndefined();
    expect(isRunning(state)).toBe(true);
  });

  it('above the limit, is OOMKilled, down for the restart delay, and killed again at each restart', () => {
    const p = profile(series({ base: 1 }), series({ base: 200 * MiB }));
    const { state, events } = run(p, { memoryBytes: 100 * MiB }, 55_000, 55_000);
    // Checked when the container starts and at every restart, RESTART_DELAY_MS after each kill.
    expect(events).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(state.restarts).toBe(6);
    expect(state.lastTerminatedReason).toBe('OOMKilled');
    expect(state.lastTerminatedAtMs).toBe(T0 + 50_000);
    expect(state.restartingUntilMs).toBe(T0 + 50_000 + RESTART_DELAY_MS);
    expect(state.workingSetBytes).toBe(0);
    expect(isRunning(state)).toBe(false);
    expect(isReady(state, p)).toBe(false);
    expect(state.cpuSecondsTotal).toBe(0);
    // Back up (and killed again at once) after the delay.
    const later = step(state, p, { memoryBytes: 100 * MiB }, 'seed', T0 + 55_000, T0 + 60_000);
    expect(later.state.startedAtMs).toBe(T0 + 60_000);
    expect(isRunning(later.state)).toBe(true);
    expect(later.events).toEqual([]);
  });

  it('does not use CPU or count CFS periods while down', () => {
    const p = profile(series({ base: 1 }), series({ base: 200 * MiB, startupPeak: { magnitude: 0.1, durationMs: 1_000 } }));
    const limits = { memoryBytes: 205 * MiB, cpuCores: 2 };
    // Its start-up peak (220 MiB) is above the limit: killed at start.
    const down = step(initialState(T0), p, limits, 's', T0, T0 + 5_000).state;
    expect(down.restartingUntilMs).toBe(T0 + RESTART_DELAY_MS);
    const r = step(down, p, limits, 's', T0 + 5_000, T0 + 9_000);
    expect(r.state.cpuSecondsTotal).toBe(0);
    expect(r.state.cfsPeriodsTotal).toBe(0);
    expect(r.state.cpuUsageCores).toBe(0);
    expect(r.events).toEqual([]);
    // After the restart its peak is back: killed again.
    expect(step(r.state, p, limits, 's', T0 + 9_000, T0 + 12_000).events).toEqual([{ type: 'OOMKilled', atMs: T0 + RESTART_DELAY_MS, injected: false }]);
  });

  it('a slow leak is OOMKilled periodically: the restart resets growth and becomes the new start', () => {
    // 100 MiB growing by 100% a day, limit 150 MiB → killed about every 12 h.
    const p = profile(series({ base: 0.1 }), series({ base: 100 * MiB, growthPerDay: 1 }));
    const { state, events } = run(p, { memoryBytes: 150 * MiB }, 3 * DAY_MS, 60_000);
    expect(events.length).toBe(5);
    expect(state.restarts).toBe(5);
    // First bucket start more than 12 h after each (re)start; the first container started at T0.
    let start = 0;
    for (const at of events) {
      expect(at - start).toBeGreaterThan(12 * HOUR);
      expect(at - start).toBeLessThanOrEqual(12 * HOUR + 15_000);
      start = at + RESTART_DELAY_MS;
    }
    expect(state.startedAtMs).toBe(T0 + events.at(-1)! + RESTART_DELAY_MS);
    expect(isRunning(state)).toBe(true);
    expect(state.workingSetBytes).toBeLessThan(150 * MiB);
  });

  it('a start-up peak above the limit kills the container at every start while it lasts', () => {
    const p = profile(series({ base: 0.1 }), series({ base: 100 * MiB, startupPeak: { magnitude: 1, durationMs: 60_000 } }));
    const { events } = run(p, { memoryBytes: 150 * MiB }, 10 * 60_000, 60_000);
    // Peak 200 MiB at each start: every restart brings it back, so it never gets past it.
    expect(events.length).toBeGreaterThan(40);
    const survives = run(p, { memoryBytes: 250 * MiB }, 10 * 60_000, 60_000);
    expect(survives.events).toEqual([]);
    expect(survives.state.workingSetBytes).toBe(100 * MiB);
  });
});

describe('stepping', () => {
  const noisy = profile(
    series({ base: 0.8, noise: 0.5, dailyAmplitude: 0.3, spikes: { everyMs: 20 * 60_000, durationMs: 90_000, magnitude: 1 } }),
    series({ base: 100 * MiB, noise: 0.1, growthPerDay: 6, startupPeak: { magnitude: 0.2, durationMs: 120_000 } }),
  );
  const limits = { cpuCores: 1, memoryBytes: 160 * MiB };

  it('gives the same result for one long step as for many short ones', () => {
    const long = run(noisy, limits, 6 * HOUR, 6 * HOUR);
    for (const stepMs of [60_000, 15_000, 5_000, 45_000]) {
      const short = run(noisy, limits, 6 * HOUR, stepMs);
      expect(short.events).toEqual(long.events);
      expect(short.state.restarts).toBe(long.state.restarts);
      expect(short.state.cpuSecondsTotal).toBeCloseTo(long.state.cpuSecondsTotal, 6);
      expect(short.state.cfsPeriodsTotal).toBeCloseTo(long.state.cfsPeriodsTotal, 6);
      expect(short.state.cfsThrottledPeriodsTotal).toBeCloseTo(long.state.cfsThrottledPeriodsTotal, 6);
      expect(short.state.startedAtMs).toBe(long.state.startedAtMs);
    }
    expect(long.state.restarts).toBeGreaterThan(0); // the comparison covered restarts
    expect(long.state.cfsThrottledPeriodsTotal).toBeGreaterThan(0); // … and throttling
  });

  it('keeps every counter monotonic', () => {
    const { states } = run(noisy, limits, 12 * HOUR, 60_000);
    for (let i = 1; i < states.length; i++) {
      const [a, b] = [states[i - 1]!, states[i]!];
      expect(b.cpuSecondsTotal).toBeGreaterThanOrEqual(a.cpuSecondsTotal);
      expect(b.cfsPeriodsTotal).toBeGreaterThanOrEqual(a.cfsPeriodsTotal);
      expect(b.cfsThrottledPeriodsTotal).toBeGreaterThanOrEqual(a.cfsThrottledPeriodsTotal);
      expect(b.cfsThrottledPeriodsTotal).toBeLessThanOrEqual(b.cfsPeriodsTotal);
      expect(b.restarts).toBeGreaterThanOrEqual(a.restarts);
    }
  });

  it('is deterministic, does not change its input, and ignores empty steps', () => {
    const a = run(noisy, limits, 3 * HOUR, 60_000, 'x');
    const b = run(noisy, limits, 3 * HOUR, 60_000, 'x');
    expect(b.states).toEqual(a.states);
    expect(run(noisy, limits, 3 * HOUR, 60_000, 'y').state.cpuSecondsTotal).not.toBe(a.state.cpuSecondsTotal);

    const before = initialState(T0);
    const copy = { ...before };
    step(before, noisy, limits, 's', T0, T0 + HOUR);
    expect(before).toEqual(copy);
    expect(step(before, noisy, limits, 's', T0 + 10, T0 + 10).state).toBe(before);
    expect(step(before, noisy, limits, 's', T0 + 10, T0).state).toBe(before);
  });

  it('uses the default profile sensibly', () => {
    const { state } = run(DEFAULT_CONTAINER_PROFILE, {}, HOUR, 60_000);
    expect(state.cpuUsageCores).toBeGreaterThan(0.09);
    expect(state.cpuUsageCores).toBeLessThan(0.11);
    expect(state.workingSetBytes).toBeGreaterThan(120 * MiB);
    expect(state.workingSetBytes).toBeLessThan(136 * MiB);
  });
});

describe('injected exits', () => {
  const p = profile(series({ base: 0.2 }), series({ base: 100 * MiB, startupPeak: { magnitude: 0.5, durationMs: 60_000 } }));
  const limits = { memoryBytes: 500 * MiB };
  const running = step(initialState(T0), p, limits, 's', T0, T0 + 100_000).state;

  it('a running container exits at the step start: restart + 1, last terminated reason, down for the delay', () => {
    const at = T0 + 100_000;
    const r = step(inject(running, 'Error'), p, limits, 's', at, at);
    expect(r.events).toEqual([{ type: 'Error', atMs: at, injected: true }]);
    expect(r.state).toMatchObject({ restarts: 1, lastTerminatedReason: 'Error', lastTerminatedAtMs: at, restartingUntilMs: at + RESTART_DELAY_MS, workingSetBytes: 0 });
    expect(r.state.pendingExits).toBeUndefined();
    expect(isRunning(r.state)).toBe(false);
    // A zero-length step keeps the rates of the last real step.
    expect(r.state.cpuUsageCores).toBe(running.cpuUsageCores);
    // Runs again after the delay, with its start-up peak from the restart.
    const back = step(r.state, p, limits, 's', at, at + RESTART_DELAY_MS + 1_000).state;
    expect(isRunning(back)).toBe(true);
    expect(back.startedAtMs).toBe(at + RESTART_DELAY_MS);
    expect(back.workingSetBytes).toBeGreaterThan(140 * MiB);
  });

  it('an injected OOM kill looks like a model one', () => {
    const at = T0 + 100_000;
    const r = step(inject(running, 'OOMKilled'), p, limits, 's', at, at + 1);
    expect(r.events).toEqual([{ type: 'OOMKilled', atMs: at, injected: true }]);
    expect(r.state).toMatchObject({ restarts: 1, lastTerminatedReason: 'OOMKilled', lastTerminatedAtMs: at });
  });

  it('several injections are as many exits, each when the container runs again', () => {
    const at = T0 + 100_000;
    const s = inject(inject(inject(running, 'Error'), 'OOMKilled'), 'Error');
    const first = step(s, p, limits, 's', at, at + 5_000);
    expect(first.events.map((e) => e.atMs - at)).toEqual([0]);
    expect(first.state.pendingExits).toEqual(['OOMKilled', 'Error']);
    // Same result however the rest is sliced.
    const whole = step(first.state, p, limits, 's', at + 5_000, at + 60_000);
    let sliced = first.state;
    const slicedEvents: number[] = [];
    for (let t = at + 5_000; t < at + 60_000; t += 1_000) {
      const r = step(sliced, p, limits, 's', t, t + 1_000);
      sliced = r.state;
      slicedEvents.push(...r.events.map((e) => e.atMs - at));
    }
    expect(whole.events.map((e) => [e.type, e.atMs - at])).toEqual([
      ['OOMKilled', RESTART_DELAY_MS],
      ['Error', 2 * RESTART_DELAY_MS],
    ]);
    expect(slicedEvents).toEqual([RESTART_DELAY_MS, 2 * RESTART_DELAY_MS]);
    expect(whole.state).toMatchObject({ restarts: 3, lastTerminatedReason: 'Error', startedAtMs: at + 3 * RESTART_DELAY_MS });
    expect(sliced.restarts).toBe(3);
    expect(whole.state.pendingExits).toBeUndefined();
  });

  it('a zero-length step on a container that is down keeps the injection for later', () => {
    const at = T0 + 100_000;
    const down = step(inject(running, 'Error'), p, limits, 's', at, at).state;
    const again = step(inject(down, 'Error'), p, limits, 's', at + 1_000, at + 1_000);
    expect(again.events).toEqual([]);
    expect(again.state.pendingExits).toEqual(['Error']);
    expect(step(again.state, p, limits, 's', at + 1_000, at + RESTART_DELAY_MS).events).toEqual([{ type: 'Error', atMs: at + RESTART_DELAY_MS, injected: true }]);
  });
});

describe('a profile changed mid-bucket', () => {
  const low = profile(series({ base: 0.2 }), series({ base: 100 * MiB }));
  const limits = { cpuCores: 0.5, memoryBytes: 200 * MiB };
  const at = T0 + 100_000 + 7_000; // inside a 15 s noise bucket
  const running = step(initialState(T0), low, limits, 's', T0, at).state;

  it('memory demand above the limit OOM-kills at the next step, however short', () => {
    const high = profile(low.cpu, series({ base: 300 * MiB }));
    const r = step(running, high, limits, 's', at, at + 1);
    expect(r.events).toEqual([{ type: 'OOMKilled', atMs: at, injected: false }]);
    expect(r.state.restarts).toBe(1);
  });

  it('CPU demand above the limit throttles from the next step, past the readiness threshold', () => {
    const hot = profile(series({ base: 1 }), low.memory, { notReadyWhenThrottledAbove: 0.2 });
    expect(isReady(running, hot)).toBe(true);
    const r = step(running, hot, limits, 's', at, at + 1);
    expect(r.state.throttledRatio).toBeCloseTo(0.5, 12);
    expect(isReady(r.state, hot)).toBe(false);
    // Counters continue from where the old profile left them.
    expect(r.state.cpuSecondsTotal).toBeGreaterThan(running.cpuSecondsTotal);
    expect(r.state.startedAtMs).toBe(T0);
  });
});
