// The canary state machine (pure): decideCanary(snapshot, now) → plan. Each scenario runs the
// decision, applies the plan the way the shell would (records, resizes, reverts, status) and
// decides again later, on a fixed clock.
import { describe, expect, it } from 'vitest';
import { parseResizePolicySpec } from '../../src/api/resize-policy.ts';
import type { ResizePolicySpec } from '../../src/api/spec.ts';
import type { ResizeEvent, ResizePolicyStatus, WorkloadStatus } from '../../src/api/status.ts';
import { cycleId, decideCanary, podViewFrom, resizePatch, settle, type CanarySnapshot, type Plan, type PodLike } from '../../src/core/canary/index.ts';
import { encodeRecord } from '../../src/core/pod-record.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;
const T = (ms: number) => new Date(ms).toISOString();

type RL = Record<string, string>;
interface C {
  name: string;
  requests: RL;
  limits: RL;
  status: { requests: RL; limits: RL };
  restarts: number;
  lastTerminated?: { reason: string; finishedAt: string };
  waiting?: string;
}
interface P {
  name: string;
  node: string;
  ready: boolean;
  generation: number;
  observedGeneration: number;
  annotations?: RL;
  containers: C[];
  pending?: { reason: string; since: number };
  phase?: string;
}

const ORIGINAL = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };
const zones: Record<string, string> = { n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c', n6: 'c' };

function mkPod(name: string, node: string): P {
  return { name, node, ready: true, generation: 1, observedGeneration: 1, containers: [{ name: 'app', ...structuredClone(ORIGINAL), status: structuredClone(ORIGINAL), restarts: 0 }] };
}
const fleet = (n: number) => Array.from({ length: n }, (_, i) => mkPod(`web-${String(i).padStart(2, '0')}`, `n${(i % 6) + 1}`));

function raw(p: P): PodLike {
  return {
    metadata: { name: p.name, namespace: 'shop', uid: `uid-${p.name}`, generation: p.generation, ...(p.annotations ? { annotations: p.annotations } : {}) },
    spec: { nodeName: p.node, containers: p.containers.map((c) => ({ name: c.name, resources: { requests: c.requests, limits: c.limits } })) },
    status: {
      phase: p.phase ?? 'Running',
      observedGeneration: p.observedGeneration,
      conditions: [
        { type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: T(T0 - HOUR) },
        ...(p.pending ? [{ type: 'PodResizePending', status: 'True', reason: p.pending.reason, lastTransitionTime: T(p.pending.since) }] : []),
      ],
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        ready: p.ready,
        restartCount: c.restarts,
        resources: c.status,
        ...(c.lastTerminated ? { lastState: { terminated: { exitCode: 137, ...c.lastTerminated } } } : {}),
        ...(c.waiting ? { state: { waiting: { reason: c.waiting } } } : {}),
      })),
    },
  };
}

function mkSpec(strategy: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ResizePolicySpec {
  const { canary, ...rest } = strategy as { canary?: Record<string, unknown> };
  const r = parseResizePolicySpec({
    targetRef: { kind: 'Deployment', name: 'web' },
    updateStrategy: { type: 'Canary', canary: { percentage: 10, observationPeriod: '30m', autoPromote: true, ...canary }, cooldown: '2h', autoRevert: true, ...rest },
    ...extra,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.spec;
}
const rec = (cpu = '500m', memory = '768Mi'): WorkloadStatus[] => [{ kind: 'Deployment', name: 'web', containers: [{ name: 'app', recommended: { requests: { cpu, memory } } }] }];

interface State {
  pods: P[];
  status: ResizePolicyStatus;
  generation: number;
  spec: ResizePolicySpec;
  metrics: boolean;
  rec: WorkloadStatus[];
  cluster?: CanarySnapshot['cluster'];
}
const initial = (over: Partial<State> = {}): State => ({ pods: fleet(10), status: { observedGeneration: 1 }, generation: 1, spec: mkSpec(), metrics: true, rec: rec(), ...over });

const snapOf = (st: State): CanarySnapshot => ({
  policy: { namespace: 'shop', name: 'web', uid: 'policy-uid', generation: st.generation, spec: st.spec, status: st.status },
  recommendations: st.rec,
  workloads: [{ kind: 'Deployment', name: 'web', pods: st.pods.map((p) => podViewFrom(raw(p), (n) => zones[n])) }],
  cluster: st.cluster ?? { serverMinor: 35, limitRanges: [], quotas: [], nodes: {} },
  metricsAvailable: st.metrics,
});
const decide = (st: State, now: number) => decideCanary(snapOf(st), now);

/** Carries a plan out like the shell: records, resizes (applied by the kubelet unless told otherwise), reverts, status. */
function act(st: State, plan: Plan, o: { applied?: boolean } = {}): State {
  const applied = o.applied ?? true;
  const pods = st.pods.map((p0) => {
    const p: P = structuredClone(p0);
    const a = plan.annotate.find((x) => x.pod === p.name);
    if (a) p.annotations = { ...p.annotations, ...a.annotations };
    const r = plan.resize.find((x) => x.pod === p.name);
    const v = plan.revert.find((x) => x.pod === p.name);
    const to = r ? { ...r.to } : v ? v.to : undefined;
    if (r) p.annotations = { ...p.annotations, ...r.annotations };
    if (to) {
      for (const c of p.containers) {
        const t = to[c.name];
        if (!t) continue;
        c.requests = { ...c.requests, ...t.requests };
        c.limits = { ...c.limits, ...t.limits };
        if (applied || v) c.status = { requests: { ...c.requests }, limits: { ...c.limits } };
      }
      p.generation += 1;
      if (applied || v) p.observedGeneration = p.generation;
    }
    return p;
  });
  return { ...st, pods, status: { observedGeneration: st.generation, ...(plan.canary ? { canary: plan.canary } : {}), resizeHistory: plan.resizeHistory } };
}
const edit = (st: State, spec: ResizePolicySpec): State => ({ ...st, spec, generation: st.generation + 1 });
const pod = (st: State, name: string) => st.pods.find((p) => p.name === name)!;
const withPod = (st: State, name: string, f: (p: P) => void): State => ({
  ...st,
  pods: st.pods.map((p) => {
    if (p.name !== name) return p;
    const q = structuredClone(p);
    f(q);
    return q;
  }),
});
const oom = (at: number) => (p: P) => {
  p.containers[0]!.restarts += 1;
  p.containers[0]!.lastTerminated = { reason: 'OOMKilled', finishedAt: T(at) };
};
const ID1 = cycleId('policy-uid', 1, T0);
const RESIZED = { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } };

/** Runs the first pass: the canary cycle starts at T0. */
function started(over: Partial<State> = {}) {
  const st0 = initial(over);
  const plan = decide(st0, T0);
  return { plan, st: act(st0, plan), canary: plan.resize.map((r) => r.pod) };
}

// ------------------------------------------------------------------------------------------------
describe('Recommend mode', () => {
  it('does nothing, and leaves resized (even violating) pods as they are', () => {
    const { st, canary } = started();
    const rs = withPod(edit(st, mkSpec({ type: 'Recommend' })), canary[0]!, oom(T0 + MIN));
    const plan = decide(rs, T0 + 5 * MIN);
    expect(plan).toMatchObject({ mode: 'Recommend', resize: [], revert: [], annotate: [], skip: [], events: [], history: [], canary: undefined, outcome: { state: 'idle' } });
  });
});

describe('a canary cycle starts', () => {
  it('resizes ceil(10% × 10) = 1 pod with its record first, and records the cycle', () => {
    const { plan } = started();
    expect(plan.cycle).toEqual({ id: ID1, startMs: T0, started: true });
    expect(plan.resize).toHaveLength(1);
    const a = plan.resize[0]!;
    expect(a).toMatchObject({ wave: 'canary', workload: { kind: 'Deployment', name: 'web' }, containers: [{ name: 'app', resources: RESIZED }], from: { app: ORIGINAL }, to: { app: RESIZED } });
    expect(a.record).toEqual({ originals: { app: ORIGINAL }, cycle: ID1, policy: 'shop/web', baseline: { at: T(T0), restarts: { app: 0 } } });
    expect(a.annotations).toEqual(encodeRecord(a.record));
    expect(resizePatch(a.containers)).toEqual({ spec: { containers: [{ name: 'app', resources: RESIZED }] } });
    expect(plan.canary).toEqual({ phase: 'CanaryInProgress', pods: [a.pod], podCount: 1, startTime: T(T0), observationEnd: T(T0 + 30 * MIN) });
    expect(plan.history).toEqual([{ time: T(T0), pod: a.pod, container: 'app', from: ORIGINAL, to: RESIZED, result: 'Resized', reason: 'canary', cycle: ID1 }]);
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'Resized', pod: a.pod, message: expect.stringMatching(/cpu 1 → 500m, memory 1Gi → 768Mi, cpu limit 2 → 1, memory limit 2Gi → 1536Mi/) as unknown }]);
    expect(plan.requeueAfterMs).toBe(30 * MIN);
    expect(plan.outcome.state).toBe('observing');
  });

  it('30% of 10 pods: 3 pods, one per zone', () => {
    const { plan } = started({ spec: mkSpec({ canary: { percentage: 30 } }) });
    expect(plan.resize).toHaveLength(3);
    const zs = plan.resize.map((r) => zones[pod(initial(), r.pod).node]);
    expect(new Set(zs)).toEqual(new Set(['a', 'b', 'c']));
    expect(plan.canary?.podCount).toBe(3);
  });

  it('is deterministic', () => {
    const st = initial();
    expect(decide(st, T0)).toEqual(decide(st, T0));
  });

  it('starts nothing without a recommendation', () => {
    const plan = decide(initial({ rec: [] }), T0);
    expect(plan).toMatchObject({ resize: [], canary: undefined, outcome: { state: 'idle' } });
    expect(plan.skip.every((s) => s.reason === 'NoRecommendation')).toBe(true);
    expect(plan.events).toEqual([]);
  });

  it('starts nothing when every pod already has the recommended size', () => {
    expect(decide(initial({ rec: rec('1', '1Gi') }), T0)).toMatchObject({ resize: [], canary: undefined });
  });

  it('passes over pods that are not eligible', () => {
    const st = initial({ pods: fleet(3).map((p, i) => (i < 2 ? { ...p, ready: false } : p)) });
    const plan = decide(st, T0);
    expect(plan.resize.map((r) => r.pod)).toEqual(['web-02']);
  });
});

describe('observation', () => {
  it('waits for the observation period with nothing to do', () => {
    const { st } = started();
    const plan = decide(st, T0 + 10 * MIN);
    expect(plan).toMatchObject({ resize: [], revert: [], outcome: { state: 'observing' }, canary: { phase: 'CanaryInProgress', startTime: T(T0) } });
    expect(plan.requeueAfterMs).toBe(20 * MIN);
  });

  it('an OOMKill reverts the pod at once, records it, and blocks promotion', () => {
    const { st, canary } = started();
    const c = canary[0]!;
    const s1 = withPod(st, c, oom(T0 + 4 * MIN));
    const plan = decide(s1, T0 + 5 * MIN);
    expect(plan.revert).toHaveLength(1);
    expect(plan.revert[0]).toMatchObject({ pod: c, reason: 'oomkill', result: 'Reverted', cycle: ID1, to: { app: ORIGINAL }, containers: [{ name: 'app', resources: ORIGINAL }] });
    expect(plan.history).toEqual([expect.objectContaining({ pod: c, container: 'app', result: 'Reverted', reason: 'oomkill', cycle: ID1, from: RESIZED, to: ORIGINAL })]);
    expect(plan.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'Reverted', pod: c })]);
    expect(plan.outcome.message).toMatch(/promotion blocked/);
    // After the observation: not promoted, only the canary subset is kept.
    const s2 = act(s1, plan);
    const end = decide(s2, T0 + 31 * MIN);
    expect(end).toMatchObject({ resize: [], revert: [], outcome: { state: 'blocked' }, canary: { phase: 'CanaryInProgress' } });
    expect(end.requeueAfterMs).toBe(30 * MIN + 2 * HOUR - 31 * MIN);
  });

  it.each([
    ['a restart spike', (p: P) => void (p.containers[0]!.restarts = 1), 'restart'],
    ['NotReady beyond the grace', (p: P) => void (p.ready = false), 'notready'],
  ])('%s reverts', (_w, f, reason) => {
    const { st, canary } = started();
    const plan = decide(withPod(st, canary[0]!, f), T0 + 5 * MIN);
    expect(plan.revert.map((r) => r.reason)).toEqual([reason]);
  });

  it('without autoRevert a violation is reported once, not reverted, and still blocks promotion', () => {
    const { st, canary } = started({ spec: mkSpec({ autoRevert: false }) });
    const s1 = withPod(st, canary[0]!, oom(T0 + 4 * MIN));
    const p1 = decide(s1, T0 + 5 * MIN);
    expect(p1.revert).toEqual([]);
    expect(p1.history).toEqual([expect.objectContaining({ result: 'Violated', reason: 'oomkill', pod: canary[0] })]);
    expect(p1.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'SafetyViolation' })]);
    const s2 = act(s1, p1);
    const p2 = decide(s2, T0 + 6 * MIN);
    expect(p2.history).toEqual([]);
    expect(decide(s2, T0 + 31 * MIN).outcome.state).toBe('blocked');
  });

  it('Infeasible ends the attempt and reverts even without autoRevert', () => {
    const { st0, plan0 } = (() => {
      const s = initial({ spec: mkSpec({ autoRevert: false }) });
      return { st0: s, plan0: decide(s, T0) };
    })();
    const c = plan0.resize[0]!.pod;
    const s1 = withPod(act(st0, plan0, { applied: false }), c, (p) => void (p.pending = { reason: 'Infeasible', since: T0 + 1000 }));
    const plan = decide(s1, T0 + 10_000);
    expect(plan.revert).toEqual([expect.objectContaining({ pod: c, reason: 'infeasible', result: 'Infeasible' })]);
    expect(plan.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ResizeFailed' })]);
  });

  it('a resize Deferred past its deadline fails and is reverted', () => {
    const st0 = initial();
    const p0 = decide(st0, T0);
    const c = p0.resize[0]!.pod;
    const s1 = withPod(act(st0, p0, { applied: false }), c, (p) => void (p.pending = { reason: 'Deferred', since: T0 + 1000 }));
    expect(decide(s1, T0 + 4 * MIN).revert).toEqual([]);
    expect(decide(s1, T0 + 7 * MIN).revert).toEqual([expect.objectContaining({ reason: 'deferred-timeout', result: 'Failed' })]);
  });

  it('an OOMKill after a resize that raised memory is reported, not reverted (the originals have less)', () => {
    const { st, canary } = started({ rec: rec('1', '1536Mi') });
    const p = decide(withPod(st, canary[0]!, oom(T0 + 4 * MIN)), T0 + 5 * MIN);
    expect(p.revert).toEqual([]);
    expect(p.history).toEqual([expect.objectContaining({ result: 'Violated', reason: 'oomkill' })]);
    expect(p.events).toEqual([expect.objectContaining({ reason: 'SafetyViolation', message: expect.stringMatching(/did not lower its memory/) as unknown })]);
    expect(p.outcome.message).toMatch(/promotion blocked/);
  });

  it('a crash-looping pod is flagged on revert (the shell may recreate it)', () => {
    const { st, canary } = started();
    const p = decide(
      withPod(st, canary[0]!, (q) => {
        oom(T0 + 4 * MIN)(q);
        q.containers[0]!.waiting = 'CrashLoopBackOff';
      }),
      T0 + 5 * MIN,
    );
    expect(p.revert).toEqual([expect.objectContaining({ reason: 'oomkill', crashLooping: true })]);
  });

  it('a canary pod skipped at the start joins when it can, and extends the observation', () => {
    const roomy = (n: string) => ({ name: n, allocatable: { cpu: '64', memory: '64Gi' }, allocated: { cpu: '0', memory: '0' } });
    const nodes = Object.fromEntries(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => [n, roomy(n)]));
    const base = initial({ spec: mkSpec({ canary: { percentage: 30 } }), rec: rec('1500m', '1Gi'), cluster: { serverMinor: 35, limitRanges: [], quotas: [], nodes } });
    const picks = decide(base, T0).canary!.pods!;
    const full = pod(base, picks[0]!).node;
    const tight = { ...base, cluster: { ...base.cluster!, nodes: { ...nodes, [full]: { ...roomy(full), allocated: { cpu: '64', memory: '0' } } } } };
    const p0 = decide(tight, T0);
    expect(p0.canary?.pods).toEqual(picks);
    expect(p0.skip).toEqual([expect.objectContaining({ pod: picks[0], reason: 'NodeRoom' })]);
    const s1 = { ...act(tight, p0), cluster: base.cluster! };
    const p1 = decide(s1, T0 + 10 * MIN);
    expect(p1.resize).toEqual([expect.objectContaining({ pod: picks[0], wave: 'canary', record: expect.objectContaining({ cycle: ID1 }) as unknown })]);
    const s2 = act(s1, p1);
    expect(decide(s2, T0 + 11 * MIN).canary?.observationEnd).toBe(T(T0 + 40 * MIN));
    expect(decide(s2, T0 + 35 * MIN).outcome.state).toBe('observing');
    expect(decide(s2, T0 + 41 * MIN).outcome.state).toBe('promoted');
  });

  it('a pod whose revert is already recorded is not reverted twice (stale cache)', () => {
    const { st, canary } = started();
    const s1 = withPod(st, canary[0]!, oom(T0 + 4 * MIN));
    const p1 = decide(s1, T0 + 5 * MIN);
    // Status persisted, but the cache still shows the pod resized.
    const stale: State = { ...s1, status: act(s1, p1).status };
    expect(decide(stale, T0 + 5 * MIN + 100).revert).toEqual([]);
  });
});

describe('promotion', () => {
  it('autoPromote: a clean observation → FullRollout, then every eligible pod gets the canary size', () => {
    const { st, canary } = started();
    const p1 = decide(st, T0 + 30 * MIN + 1000);
    expect(p1).toMatchObject({ resize: [], outcome: { state: 'promoted' }, canary: { phase: 'FullRollout', pods: canary }, requeueAfterMs: 0 });
    expect(p1.events).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Promoted' })]);
    const s2 = act(st, p1);
    const p2 = decide(s2, T0 + 30 * MIN + 2000);
    expect(p2.resize).toHaveLength(9);
    expect(p2.resize.every((r) => r.wave === 'rollout' && r.record.cycle === ID1)).toBe(true);
    expect(p2.resize.map((r) => r.pod)).not.toContain(canary[0]);
    expect(p2.resize[0]!.to).toEqual({ app: RESIZED });
    expect(p2.canary?.phase).toBe('FullRollout');
    // Once rolled out, nothing left to do until the cooldown ends.
    const s3 = act(s2, p2);
    const p3 = decide(s3, T0 + 40 * MIN);
    expect(p3).toMatchObject({ resize: [], revert: [], outcome: { state: 'rolling-out' } });
    expect(p3.requeueAfterMs).toBe(30 * MIN + 2 * HOUR - 40 * MIN); // the cooldown counts from the observation end
  });

  it('the promoted size is the canary\'s, even if the recommendation moved meanwhile', () => {
    const { st } = started();
    const s2 = act(st, decide(st, T0 + 31 * MIN));
    const p2 = decide({ ...s2, rec: rec('400m', '700Mi') }, T0 + 32 * MIN);
    expect(p2.resize[0]!.to.app!.requests).toEqual({ cpu: '500m', memory: '768Mi' });
  });

  it('without autoPromote the cycle waits for a manual promotion', () => {
    const { st } = started({ spec: mkSpec({ canary: { autoPromote: false } }) });
    const p = decide(st, T0 + 31 * MIN);
    expect(p).toMatchObject({ resize: [], outcome: { state: 'awaiting-promotion' }, canary: { phase: 'CanaryInProgress' } });
    expect(p.events).toEqual([]);
  });

  it('promotion waits until the canary resize is applied', () => {
    const st0 = initial();
    const p0 = decide(st0, T0);
    const s1 = act(st0, p0, { applied: false });
    expect(decide(s1, T0 + 31 * MIN).outcome.state).not.toBe('promoted');
  });

  it('pods created later are brought to the promoted size once Ready', () => {
    const { st } = started();
    const s2 = act(st, decide(st, T0 + 31 * MIN));
    const s3 = act(s2, decide(s2, T0 + 32 * MIN));
    const fresh = { ...mkPod('web-new', 'n2'), ready: false };
    const s4 = { ...s3, pods: [...s3.pods, fresh] };
    expect(decide(s4, T0 + 40 * MIN).resize).toEqual([]);
    const s5 = withPod(s4, 'web-new', (p) => void (p.ready = true));
    expect(decide(s5, T0 + 41 * MIN).resize).toEqual([expect.objectContaining({ pod: 'web-new', wave: 'rollout', to: { app: RESIZED } })]);
  });

  it('promoted pods stay watched: a later OOMKill is reverted, the phase stays FullRollout', () => {
    const { st } = started();
    const s2 = act(st, decide(st, T0 + 31 * MIN));
    const s3 = act(s2, decide(s2, T0 + 32 * MIN));
    const victim = s3.pods.find((p) => p.annotations && p.name !== decide(s3, T0 + 33 * MIN).canary!.pods![0])!.name;
    const p = decide(withPod(s3, victim, oom(T0 + 50 * MIN)), T0 + 51 * MIN);
    expect(p.revert).toEqual([expect.objectContaining({ pod: victim, reason: 'oomkill' })]);
    expect(p.canary?.phase).toBe('FullRollout');
  });

  it('after the cooldown with nothing new to try, the rollout goes on for new pods', () => {
    const { st } = started();
    const s2 = act(st, decide(st, T0 + 31 * MIN));
    const s3 = act(s2, decide(s2, T0 + 32 * MIN));
    const s4 = { ...s3, pods: [...s3.pods, mkPod('web-late', 'n4')] };
    const p = decide(s4, T0 + 5 * HOUR);
    expect(p.cycle).toMatchObject({ id: ID1, started: false });
    expect(p.resize).toEqual([expect.objectContaining({ pod: 'web-late', wave: 'rollout' })]);
  });
});

describe('manual promotion', () => {
  it('switching to Auto resizes every eligible pod', () => {
    const { st, canary } = started({ spec: mkSpec({ canary: { autoPromote: false } }) });
    const s1 = act(st, decide(st, T0 + 31 * MIN));
    const p = decide(edit(s1, mkSpec({ type: 'Auto' })), T0 + 40 * MIN);
    expect(p.cycle).toMatchObject({ id: cycleId('policy-uid', 2, T0 + 40 * MIN), started: true });
    expect(p.resize).toHaveLength(9);
    expect(p.resize.every((r) => r.wave === 'auto')).toBe(true);
    expect(p.annotate.map((a) => a.pod)).toEqual(canary); // already at the size: observed again
    expect(p.canary).toEqual({ phase: 'FullRollout', pods: [], podCount: 0, startTime: T(T0 + 40 * MIN) });
  });

  it('raising canary.percentage widens the canary, keeping the first pod', () => {
    const { st, canary } = started({ spec: mkSpec({ canary: { autoPromote: false } }) });
    const s1 = act(st, decide(st, T0 + 31 * MIN));
    const p = decide(edit(s1, mkSpec({ canary: { autoPromote: false, percentage: 50 } })), T0 + 40 * MIN);
    expect(p.canary?.podCount).toBe(5);
    expect(p.canary?.pods).toContain(canary[0]);
    expect(p.resize).toHaveLength(4);
    expect(p.annotate.map((a) => a.pod)).toEqual(canary);
  });
});

describe('spec edits', () => {
  it('an edit during observation restarts the cycle and its timer; the canary pod is observed again', () => {
    const { st, canary } = started();
    const s1 = edit(st, mkSpec({ canary: { observationPeriod: '1h' } }));
    const p = decide(s1, T0 + 20 * MIN);
    const id2 = cycleId('policy-uid', 2, T0 + 20 * MIN);
    expect(p.cycle).toEqual({ id: id2, startMs: T0 + 20 * MIN, started: true });
    expect(p.canary).toMatchObject({ phase: 'CanaryInProgress', pods: canary, startTime: T(T0 + 20 * MIN), observationEnd: T(T0 + 80 * MIN) });
    expect(p.resize).toEqual([]);
    expect(p.annotate).toEqual([expect.objectContaining({ pod: canary[0], record: expect.objectContaining({ cycle: id2, originals: { app: ORIGINAL } }) as unknown })]);
    // Promotion needs the new, full observation period.
    const s2 = act(s1, p);
    expect(decide(s2, T0 + 60 * MIN).outcome.state).toBe('observing');
    expect(decide(s2, T0 + 81 * MIN).outcome.state).toBe('promoted');
  });

  it('an edit that changes the recommendation resizes the canary again from its current size', () => {
    const { st, canary } = started();
    const p = decide({ ...edit(st, mkSpec()), rec: rec('400m', '700Mi') }, T0 + 20 * MIN);
    expect(p.resize).toEqual([expect.objectContaining({ pod: canary[0], from: { app: RESIZED } })]);
    expect(p.resize[0]!.record.originals).toEqual({ app: RESIZED });
  });

  it('an edit of a FullRollout policy revalidates from scratch', () => {
    const { st } = started();
    const s2 = act(st, decide(st, T0 + 31 * MIN));
    const s3 = act(s2, decide(s2, T0 + 32 * MIN));
    const p = decide(edit(s3, mkSpec({ canary: { percentage: 20 } })), T0 + 50 * MIN);
    expect(p).toMatchObject({ outcome: { state: 'observing' }, canary: { phase: 'CanaryInProgress', podCount: 2 } });
  });

  it('an edit with nothing to observe or resize clears the canary status', () => {
    const st = act(initial({ rec: rec('1', '1Gi') }), decide(initial({ rec: rec('1', '1Gi') }), T0));
    const p = decide(edit({ ...st, status: { ...st.status, canary: { phase: 'FullRollout', startTime: T(T0 - HOUR) } } }, mkSpec()), T0);
    expect(p.canary).toBeUndefined();
  });
});

describe('cooldown', () => {
  it('separates cycles: a blocked cycle is followed by a new one only after the cooldown', () => {
    const { st, canary } = started();
    const s1 = withPod(st, canary[0]!, oom(T0 + 4 * MIN));
    const s2 = act(s1, decide(s1, T0 + 5 * MIN));
    const s3 = act(s2, decide(s2, T0 + 31 * MIN));
    const before = decide(s3, T0 + 30 * MIN + 2 * HOUR - 1000);
    expect(before).toMatchObject({ resize: [], cycle: { id: ID1, started: false } });
    const after = decide(s3, T0 + 30 * MIN + 2 * HOUR + 1000);
    expect(after.cycle?.started).toBe(true);
    // The reverted pod is the canary again: only the canary subset keeps being resized.
    expect(after.resize.map((r) => r.pod)).toEqual(canary);
  });
});

describe('Auto mode', () => {
  it('resizes every eligible pod under the same monitor', () => {
    const st0 = initial({ spec: mkSpec({ type: 'Auto' }) });
    const p = decide(st0, T0);
    expect(p.resize).toHaveLength(10);
    expect(p.canary).toEqual({ phase: 'FullRollout', pods: [], podCount: 0, startTime: T(T0) });
    expect(p.requeueAfterMs).toBe(2 * HOUR);
    const s1 = act(st0, p);
    const p2 = decide(withPod(s1, 'web-03', oom(T0 + MIN)), T0 + 2 * MIN);
    expect(p2.revert).toEqual([expect.objectContaining({ pod: 'web-03', reason: 'oomkill' })]);
  });

  it('shares node room between the pods of one plan', () => {
    const pods = [mkPod('a', 'n1'), mkPod('b', 'n1')];
    const cluster = { serverMinor: 35, limitRanges: [], quotas: [], nodes: { n1: { name: 'n1', allocatable: { cpu: '4', memory: '16Gi' }, allocated: { cpu: '3200m', memory: '2Gi' } } } };
    const p = decide(initial({ pods, cluster, spec: mkSpec({ type: 'Auto' }), rec: rec('1500m', '1Gi') }), T0);
    expect(p.resize.map((r) => r.pod)).toEqual(['a']);
    expect(p.skip).toEqual([expect.objectContaining({ pod: 'b', reason: 'NodeRoom' })]);
    expect(p.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ResizeSkipped', pod: 'b' }));
  });

  it('shares quota between the pods of one plan', () => {
    const quotas = [{ name: 'q', hard: { 'requests.memory': '12Gi' }, used: { 'requests.memory': '10Gi' } }];
    const p = decide(initial({ spec: mkSpec({ type: 'Auto' }), rec: rec('1', '1536Mi'), cluster: { serverMinor: 35, limitRanges: [], quotas, nodes: {} } }), T0);
    expect(p.resize).toHaveLength(4); // 4 × 512Mi = 2Gi
    expect(p.skip.filter((s) => s.reason === 'Quota')).toHaveLength(6);
  });
});

describe('onMetricUnavailable', () => {
  it('revert: canary pods under observation go back; nothing new is resized', () => {
    const { st, canary } = started({ spec: mkSpec({}, { onMetricUnavailable: 'revert' }) });
    const p = decide({ ...st, metrics: false }, T0 + 10 * MIN);
    expect(p.revert).toEqual([expect.objectContaining({ pod: canary[0], reason: 'metricunavailable', result: 'Reverted' })]);
    expect(p.hold).toMatchObject({ reason: 'MetricsUnavailable' });
    expect(p.outcome.state).toBe('held');
    // Metrics are back after the observation: the cycle is not promoted.
    const s2 = act({ ...st, metrics: false }, p);
    expect(decide({ ...s2, metrics: true }, T0 + 31 * MIN).outcome.state).toBe('blocked');
  });

  it('pause: canary pods are kept, nothing new starts, violations are still reverted', () => {
    const { st, canary } = started({ spec: mkSpec({}, { onMetricUnavailable: 'pause' }) });
    const held = { ...st, metrics: false };
    const p = decide(held, T0 + 10 * MIN);
    expect(p).toMatchObject({ revert: [], resize: [], outcome: { state: 'held' }, hold: { reason: 'MetricsUnavailable' } });
    expect(decide(held, T0 + 31 * MIN).outcome.state).toBe('held'); // no promotion while held
    expect(decide(withPod(held, canary[0]!, oom(T0 + 11 * MIN)), T0 + 12 * MIN).revert).toHaveLength(1);
    expect(decide(initial({ metrics: false }), T0)).toMatchObject({ resize: [], canary: undefined, outcome: { state: 'held' } });
  });
});

describe('records', () => {
  it('a pod with a damaged record is never touched', () => {
    const st = initial({ spec: mkSpec({ type: 'Auto' }) });
    const bad = withPod(st, 'web-04', (p) => void (p.annotations = { 'attune.dev/original-resources': '{', 'attune.dev/cycle': 'x' }));
    const p = decide(bad, T0);
    expect(p.resize.map((r) => r.pod)).not.toContain('web-04');
    expect(p.resize).toHaveLength(9);
    expect(p.skip).toEqual([expect.objectContaining({ pod: 'web-04', reason: 'DamagedRecord' })]);
    expect(p.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ResizeSkipped', pod: 'web-04' }));
  });

  it('a pod recorded by another policy is left to it', () => {
    const st = withPod(initial({ spec: mkSpec({ type: 'Auto' }) }), 'web-01', (p) => void (p.annotations = encodeRecord({ originals: {}, cycle: 'c', policy: 'shop/other' })));
    const p = decide(st, T0);
    expect(p.skip).toEqual([expect.objectContaining({ pod: 'web-01', reason: 'OtherPolicy' })]);
  });

  it('a lost status write: the running cycle is recovered from the pods\' records', () => {
    const { st, canary } = started();
    const lost: State = { ...st, status: { observedGeneration: 1 } };
    const p = decide(lost, T0 + 5 * MIN);
    expect(p).toMatchObject({ resize: [], cycle: { id: ID1, started: false }, outcome: { state: 'observing' } });
    expect(p.canary).toMatchObject({ phase: 'CanaryInProgress', startTime: T(T0), pods: canary });
  });

  it('an interrupted resize (record written, pods/resize never sent) is sent again, not counted as failed', () => {
    const st0 = initial();
    const p0 = decide(st0, T0);
    const c = p0.resize[0]!.pod;
    const s1 = withPod(act(st0, { ...p0, resize: [] }), c, (p) => void (p.annotations = p0.resize[0]!.annotations));
    const p = decide(s1, T0 + 5 * MIN);
    expect(p.resize.map((a) => a.pod)).toEqual([c]);
    expect(p.resize[0]!.record).toMatchObject({ cycle: ID1, originals: { app: ORIGINAL } });
    expect(p.outcome.state).toBe('observing');
    expect(p.outcome.message).not.toContain('blocked');
    // Once resized, it is observed like any canary pod and promotion follows.
    const s2 = act(s1, p);
    expect(decide(s2, T0 + 5 * MIN + 31 * MIN).outcome.state).toBe('promoted');
  });

  it('a reverted pod is not mistaken for an interrupted one: its history entry ends the attempt', () => {
    const { st } = started();
    const c = st.pods.find((p) => p.annotations)!.name;
    const p1 = decide(withPod(st, c, oom(T0 + MIN)), T0 + 2 * MIN);
    expect(p1.revert).toHaveLength(1);
    const s2 = act(st, p1);
    const p2 = decide(s2, T0 + 3 * MIN);
    expect(p2.resize).toEqual([]);
    expect(p2.outcome.message).toContain('promotion blocked');
  });

  it('Auto: a rollout interrupted between record and resize completes', () => {
    const st0 = initial({ spec: mkSpec({ type: 'Auto' }) });
    const p0 = decide(st0, T0);
    const [first, ...rest] = p0.resize;
    // Only the first pod's record landed; the operator died before its pods/resize and the others.
    const s1 = withPod(act(st0, { ...p0, resize: [] }), first!.pod, (p) => void (p.annotations = first!.annotations));
    const p1 = decide(s1, T0 + MIN);
    expect(p1.resize.map((a) => a.pod).sort()).toEqual([first!.pod, ...rest.map((a) => a.pod)].sort());
  });
});

describe('history and events', () => {
  it('the history is bounded to the last 100 entries, newest last', () => {
    const old: ResizeEvent[] = Array.from({ length: 99 }, (_, i) => ({ time: T(T0 - HOUR), pod: `old-${i}`, container: 'app', result: 'Resized' }));
    const st = initial({ spec: mkSpec({ type: 'Auto' }), pods: fleet(3), status: { observedGeneration: 1, resizeHistory: old } });
    const p = decide(st, T0);
    expect(p.history).toHaveLength(3);
    expect(p.resizeHistory).toHaveLength(100);
    expect(p.resizeHistory[0]!.pod).toBe('old-2');
    expect(p.resizeHistory.slice(-3)).toEqual(p.history);
  });

  it('settle: a refused resize is recorded as Failed with a ResizeFailed event', () => {
    const st = initial({ spec: mkSpec({ type: 'Auto' }), pods: fleet(2) });
    const p = decide(st, T0);
    const out = settle(p, [], { resize: new Map([['web-00', 'exceeded quota']]) });
    expect(out.history.map((h) => [h.pod, h.result])).toEqual([
      ['web-00', 'Failed'],
      ['web-01', 'Resized'],
    ]);
    expect(out.events.map((e) => e.reason)).toEqual(['ResizeFailed', 'Resized']);
    expect(out.resizeHistory).toEqual(out.history);
  });

  it('settle: a refused revert is RevertFailed and retried on the next decision', () => {
    const { st, canary } = started();
    const s1 = withPod(st, canary[0]!, oom(T0 + 4 * MIN));
    const p1 = decide(s1, T0 + 5 * MIN);
    const out = settle(p1, st.status.resizeHistory ?? [], { revert: new Map([[canary[0]!, 'conflict']]) });
    expect(out.history[0]!.result).toBe('RevertFailed');
    const s2 = { ...s1, status: { ...s1.status, resizeHistory: out.resizeHistory } };
    expect(decide(s2, T0 + 6 * MIN).revert).toHaveLength(1);
  });
});
