// What a node does to one container with a given usage profile and limits, as a pure state
// machine over simulated time. CPU demand above the CPU limit is capped and counted as CFS
// throttling; memory above the memory limit OOM-kills the container, which restarts after
// RESTART_DELAY_MS with its start-up peak and growth reset. Exits can also be injected from outside
// (fault injection: a crash or an OOM kill at a moment a test chooses), and happen at the first
// instant the container runs. The backfill generator and the live simulated kubelet both step it,
// so history and live metrics continue each other seamlessly.
import { demandAt, NOISE_STEP_MS, resourceSeed, type ContainerProfile } from './profile.ts';

/** How long an OOM-killed container is down before it runs again (the kubelet's first back-off). */
export const RESTART_DELAY_MS = 10_000;
/** The kernel's default CFS period. */
export const CFS_PERIOD_MS = 100;

/** Why a container last exited: killed by the kernel for memory, or exited on its own with an error. */
export type ExitReason = 'OOMKilled' | 'Error';
/** The exit code a container status shows for each reason (128 + SIGKILL for an OOM kill). */
export const EXIT_CODES: Readonly<Record<ExitReason, number>> = Object.freeze({ OOMKilled: 137, Error: 1 });

export interface Limits {
  cpuCores?: number;
  memoryBytes?: number;
}

export interface ContainerState {
  /** When the running instance started: the pod start, or the end of the last restart. */
  startedAtMs: number;
  /** Counters: monotonic, never reset (cAdvisor keeps one series per container name here). */
  cpuSecondsTotal: number;
  cfsPeriodsTotal: number;
  cfsThrottledPeriodsTotal: number;
  restarts: number;
  lastTerminatedReason?: ExitReason;
  lastTerminatedAtMs?: number;
  /** The working set of the last bucket run (0 while the container is down or just restarted). */
  workingSetBytes: number;
  /** Average over the last step. */
  cpuUsageCores: number;
  /** Throttled / elapsed CFS periods over the last step (0 without a CPU limit). */
  throttledRatio: number;
  /** Set while the container is down after an exit; it runs again from this time. */
  restartingUntilMs?: number;
  /** Injected exits not yet happened, oldest first: each one when the container next runs. */
  pendingExits?: readonly ExitReason[];
}

export interface ExitEvent {
  type: ExitReason;
  atMs: number;
  /** From `inject`, not from the usage model. */
  injected: boolean;
}

export interface StepResult {
  state: ContainerState;
  events: readonly ExitEvent[];
}

const NO_EVENTS: readonly ExitEvent[] = Object.freeze([]);

export function initialState(startedAtMs: number): ContainerState {
  return { startedAtMs, cpuSecondsTotal: 0, cfsPeriodsTotal: 0, cfsThrottledPeriodsTotal: 0, restarts: 0, workingSetBytes: 0, cpuUsageCores: 0, throttledRatio: 0 };
}

export function isRunning(state: ContainerState): boolean {
  return state.restartingUntilMs === undefined;
}

/**
 * Queues one exit for `reason` (returns a new state). The next `step` applies it at its `fromMs` if
 * the container is running then, else at the instant it runs again; so n injections are always n
 * exits and n restarts, RESTART_DELAY_MS apart when injected together. A step of zero length
 * (fromMs = toMs) applies them too.
 */
export function inject(state: ContainerState, reason: ExitReason): ContainerState {
  return { ...state, pendingExits: [...(state.pendingExits ?? []), reason] };
}

/** Running, and not throttled above the profile's readiness threshold over the last step. */
export function isReady(state: ContainerState, profile: ContainerProfile): boolean {
  const threshold = profile.readiness.notReadyWhenThrottledAbove;
  return isRunning(state) && !(threshold !== undefined && state.throttledRatio > threshold);
}

/**
 * Advances `state` from `fromMs` to `toMs` (returns a new state; the input is not changed).
 * Demand is sampled once per NOISE_STEP_MS bucket — at the bucket's start, or at the (re)start
 * time if the container started inside it — and held over the bucket, so the result does not
 * depend on how the caller slices time: one 6 h step equals 1,440 steps of 15 s or 4,320 of 5 s.
 * Memory is checked against the limit when each bucket (or run after a restart) begins, and at
 * the start of every step with the bucket's held demand — the same answer unless the caller changed
 * the profile or the limits in between, which is how a live change takes effect at once. An OOM
 * kill happens at that instant and the container is down for RESTART_DELAY_MS.
 */
export function step(state: ContainerState, profile: ContainerProfile, limits: Limits, seed: string, fromMs: number, toMs: number): StepResult {
  const injecting = (state.pendingExits?.length ?? 0) > 0;
  if (!(toMs > fromMs) && !(injecting && toMs === fromMs)) return { state, events: NO_EVENTS };
  const cpuSeed = resourceSeed(seed, 'cpu');
  const memSeed = resourceSeed(seed, 'memory');
  const cpuLimit = limits.cpuCores;
  const memLimit = limits.memoryBytes;
  const s: ContainerState = { ...state };
  let events: ExitEvent[] | undefined;
  /** The container exits at `t`: down for RESTART_DELAY_MS, then it runs again. */
  const exit = (reason: ExitReason, t: number, injected: boolean) => {
    (events ??= []).push({ type: reason, atMs: t, injected });
    s.restarts += 1;
    s.lastTerminatedReason = reason;
    s.lastTerminatedAtMs = t;
    s.restartingUntilMs = t + RESTART_DELAY_MS;
    s.workingSetBytes = 0;
  };
  let cpuSeconds = 0;
  let periods = 0;
  let throttled = 0;

  let t = fromMs;
  for (;;) {
    if (s.restartingUntilMs !== undefined && t >= s.restartingUntilMs) {
      s.startedAtMs = s.restartingUntilMs; // start-up peak and growth count from here again
      delete s.restartingUntilMs;
    }
    // Injected exits happen as soon as the container runs (t ≤ toMs holds throughout the loop).
    if (s.restartingUntilMs === undefined && s.pendingExits?.length) {
      const [reason, ...rest] = s.pendingExits;
      if (rest.length) s.pendingExits = rest;
      else delete s.pendingExits;
      exit(reason!, t, true);
      continue;
    }
    if (t >= toMs) break;
    const bucketEnd = (Math.floor(t / NOISE_STEP_MS) + 1) * NOISE_STEP_MS;
    const next = Math.min(toMs, bucketEnd);
    if (s.restartingUntilMs !== undefined) {
      t = Math.min(next, s.restartingUntilMs); // down: no usage, no CFS periods
      continue;
    }
    const at = Math.max(bucketEnd - NOISE_STEP_MS, s.startedAtMs);
    const mem = demandAt(profile.memory, memSeed, s.startedAtMs, at);
    if (memLimit !== undefined && mem > memLimit) {
      exit('OOMKilled', t, false);
      continue;
    }
    s.workingSetBytes = mem;
    const demand = demandAt(profile.cpu, cpuSeed, s.startedAtMs, at);
    const dt = (next - t) / 1000;
    if (cpuLimit === undefined) {
      cpuSeconds += demand * dt;
    } else {
      cpuSeconds += Math.min(demand, cpuLimit) * dt;
      const p = (next - t) / CFS_PERIOD_MS;
      periods += p;
      if (demand > cpuLimit) throttled += p * (1 - cpuLimit / demand);
    }
    t = next;
  }

  s.cpuSecondsTotal += cpuSeconds;
  s.cfsPeriodsTotal += periods;
  s.cfsThrottledPeriodsTotal += throttled;
  // A zero-length step (injected exits only) leaves the rates of the last real step.
  if (toMs > fromMs) {
    s.cpuUsageCores = cpuSeconds / ((toMs - fromMs) / 1000);
    s.throttledRatio = periods > 0 ? throttled / periods : 0;
  }
  return { state: s, events: events ?? NO_EVENTS };
}
