// The pure canary core, piece by piece: pod views, eligibility, selection, precheck, safety
// verdicts and cycle ids. Fixed clock, table-driven.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  appliedState,
  canaryCount,
  cycleId,
  eligibility,
  limitRangeItemsFrom,
  nextSafetyCheck,
  nodeViewFrom,
  parseCycleId,
  podViewFrom,
  precheck,
  qosClassOf,
  quotaViewsFrom,
  selectCanary,
  violation,
  type PodLike,
  type PodView,
  type PrecheckInput,
} from '../../src/core/canary/index.ts';
import { encodeRecord } from '../../src/core/pod-record.ts';

const NOW = Date.UTC(2026, 10, 22, 12);
const T = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

type RL = Record<string, string>;
interface C {
  name?: string;
  requests?: RL;
  limits?: RL;
  restarts?: number;
  /** status resources; default = spec */
  status?: { requests?: RL; limits?: RL } | null;
  allocated?: RL;
  lastTerminated?: { reason: string; finishedAt?: string };
  resizePolicy?: { cpu?: string; memory?: string };
  ready?: boolean;
}
interface P {
  name?: string;
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  deleting?: boolean;
  generation?: number;
  observedGeneration?: number;
  pending?: { reason: string; message?: string; since?: number };
  inProgress?: { reason?: string; message?: string; since?: number };
  annotations?: RL;
  containers?: C[];
  windows?: boolean;
  podResources?: boolean;
}

const APP: C = { name: 'app', requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };

function raw(p: P = {}): PodLike {
  const cs = (p.containers ?? [APP]).map((c, i) => ({ ...c, name: c.name ?? `c${i}` }));
  const cond = (type: string, status: string, since: number, extra: Record<string, string> = {}) => ({ type, status, lastTransitionTime: T(since), ...extra });
  return {
    metadata: {
      name: p.name ?? 'web-1',
      namespace: 'shop',
      uid: `uid-${p.name ?? 'web-1'}`,
      creationTimestamp: T(NOW - 3_600_000),
      generation: p.generation ?? 1,
      ...(p.deleting ? { deletionTimestamp: T(NOW) } : {}),
      ...(p.annotations ? { annotations: p.annotations } : {}),
    },
    spec: {
      nodeName: p.node ?? 'n1',
      containers: cs.map((c) => ({
        name: c.name,
        resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) },
        ...(c.resizePolicy
          ? { resizePolicy: Object.entries(c.resizePolicy).map(([resourceName, restartPolicy]) => ({ resourceName, restartPolicy: restartPolicy })) }
          : {}),
      })),
      ...(p.windows ? { os: { name: 'windows' } } : {}),
      ...(p.podResources ? { resources: { limits: { cpu: '4' } } } : {}),
    },
    status: {
      phase: p.phase ?? 'Running',
      observedGeneration: p.observedGeneration ?? p.generation ?? 1,
      conditions: [
        cond('Ready', p.ready === false ? 'False' : 'True', p.readySince ?? NOW - 3_600_000),
        ...(p.pending ? [cond('PodResizePending', 'True', p.pending.since ?? NOW, { reason: p.pending.reason, ...(p.pending.message ? { message: p.pending.message } : {}) })] : []),
        ...(p.inProgress ? [cond('PodResizeInProgress', 'True', p.inProgress.since ?? NOW, { ...(p.inProgress.reason ? { reason: p.inProgress.reason } : {}), ...(p.inProgress.message ? { message: p.inProgress.message } : {}) })] : []),
      ],
      containerStatuses: cs.map((c) => ({
        name: c.name,
        ready: c.ready ?? p.ready !== false,
        restartCount: c.restarts ?? 0,
        ...(c.status === null ? {} : { resources: c.status ?? { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } }),
        ...(c.allocated ? { allocatedResources: c.allocated } : {}),
        ...(c.lastTerminated ? { lastState: { terminated: { exitCode: 137, reason: c.lastTerminated.reason, ...(c.lastTerminated.finishedAt ? { finishedAt: c.lastTerminated.finishedAt } : {}) } } } : {}),
      })),
    },
  };
}
const zones: Record<string, string> = { n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c', n6: 'c' };
const view = (p: P = {}): PodView => podViewFrom(raw(p), (n) => zones[n]);

// ------------------------------------------------------------------------------------------------
describe('podViewFrom', () => {
  it('reads a pod from raw watch JSON', () => {
    const v = view({ name: 'web-7', node: 'n3', containers: [{ ...APP, restarts: 2, lastTerminated: { reason: 'OOMKilled', finishedAt: T(NOW - MIN) }, resizePolicy: { memory: 'RestartContainer' } }] });
    expect(v).toMatchObject({ name: 'web-7', namespace: 'shop', uid: 'uid-web-7', nodeName: 'n3', zone: 'b', phase: 'Running', deleting: false, qosClass: 'Burstable', generation: 1, observedGeneration: 1 });
    expect(v.createdAtMs).toBe(NOW - 3_600_000);
    expect(v.conditions.ready).toMatchObject({ status: 'True' });
    const c = v.containers[0]!;
    expect(c.spec).toEqual({ name: 'app', requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' }, resizePolicy: { cpu: 'NotRequired', memory: 'RestartContainer' } });
    expect(c.status).toMatchObject({ restartCount: 2, ready: true, lastTerminated: { reason: 'OOMKilled', finishedAtMs: NOW - MIN } });
    expect(v.record).toEqual({ state: 'none' });
  });

  it('accepts a typed V1Pod with Date times', () => {
    const pod: V1Pod = {
      metadata: { name: 'typed', namespace: 'shop', uid: 'u', creationTimestamp: new Date(NOW), deletionTimestamp: new Date(NOW) },
      spec: { containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(NOW - MIN) }] },
    };
    const v = podViewFrom(pod, () => undefined);
    expect(v).toMatchObject({ name: 'typed', deleting: true, createdAtMs: NOW, qosClass: 'Burstable', conditions: { ready: { status: 'False', lastTransitionMs: NOW - MIN } } });
  });

  it('only active (status True) resize conditions count', () => {
    const r = raw({ pending: { reason: 'Deferred' } });
    r.status!.conditions = r.status!.conditions!.map((c) => (c.type === 'PodResizePending' ? { ...c, status: 'False' } : c));
    expect(podViewFrom(r).conditions.resizePending).toBeUndefined();
    expect(view({ pending: { reason: 'Infeasible', message: 'too big' } }).conditions.resizePending).toMatchObject({ reason: 'Infeasible', message: 'too big' });
  });

  it('decodes the attune record, damaged ones included', () => {
    const ok = view({ annotations: encodeRecord({ originals: { app: { requests: { cpu: '1' } } }, cycle: 'c1', policy: 'shop/web' }) });
    expect(ok.record).toMatchObject({ state: 'ok', record: { cycle: 'c1', policy: 'shop/web' } });
    expect(view({ annotations: { 'attune.dev/original-resources': '{', 'attune.dev/cycle': 'c' } }).record.state).toBe('damaged');
  });

  type QC = Array<{ requests: Record<string, string>; limits: Record<string, string> }>;
  it.each<[string, QC, string]>([
    ['Guaranteed', [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } }], 'Guaranteed'],
    ['limits only (requests default to limits)', [{ requests: {}, limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['requests below limits', [{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Burstable'],
    ['one container without memory limit', [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, { requests: { cpu: '1' }, limits: { cpu: '1' } }], 'Burstable'],
    ['nothing at all', [{ requests: {}, limits: {} }], 'BestEffort'],
  ])('qosClassOf: %s', (_w, containers, want) => expect(qosClassOf(containers)).toBe(want));

  it('nodeViewFrom sums allocated requests of the node\'s live pods', () => {
    const a = raw({ name: 'a', node: 'n1', containers: [{ ...APP, allocated: { cpu: '1500m', memory: '1Gi' } }] });
    const b = raw({ name: 'b', node: 'n1' });
    const done = raw({ name: 'done', node: 'n1', phase: 'Succeeded' });
    const other = raw({ name: 'o', node: 'n2' });
    const n = nodeViewFrom({ metadata: { name: 'n1' }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } }, [a, b, done, other]);
    expect(n).toEqual({ name: 'n1', allocatable: { cpu: '4', memory: '8Gi' }, allocated: { cpu: '2500m', memory: '2Gi' } });
  });

  it('LimitRange items and quotas are flattened to views', () => {
    expect(limitRangeItemsFrom([{ spec: { limits: [{ type: 'Container', max: { cpu: '2', 'ephemeral-storage': '1Gi' }, maxLimitRequestRatio: { memory: '2' } }] } }])).toEqual([
      { type: 'Container', max: { cpu: '2' }, maxLimitRequestRatio: { memory: '2' } },
    ]);
    expect(quotaViewsFrom([{ metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '10' }, scopes: ['NotTerminating'] }, status: { hard: { 'requests.cpu': '10' }, used: { 'requests.cpu': '4' } } }])).toEqual([
      { name: 'q', hard: { 'requests.cpu': '10' }, used: { 'requests.cpu': '4' }, scopes: ['NotTerminating'] },
    ]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('eligibility', () => {
  it.each<[string, P, boolean, string]>([
    ['Running, Ready, settled', {}, true, 'Eligible'],
    ['Pending', { phase: 'Pending' }, false, 'NotRunning'],
    ['being deleted', { deleting: true }, false, 'Deleting'],
    ['resize Deferred', { pending: { reason: 'Deferred' } }, false, 'ResizePending'],
    ['resize Infeasible', { pending: { reason: 'Infeasible' } }, false, 'ResizePending'],
    ['resize in progress', { inProgress: {} }, false, 'ResizeInProgress'],
    ['generation not observed yet', { generation: 3, observedGeneration: 2 }, false, 'GenerationNotObserved'],
    ['status resources differ from spec', { containers: [{ ...APP, status: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }] }, false, 'ResizeNotActuated'],
    ['allocated differs from spec', { containers: [{ ...APP, allocated: { cpu: '500m', memory: '1Gi' } }] }, false, 'ResizeNotActuated'],
    ['no status resources (old kubelet)', { containers: [{ ...APP, status: null }] }, false, 'NoResizeStatus'],
    ['NotReady', { ready: false }, false, 'NotReady'],
    ['"1000m" reported for "1"', { containers: [{ ...APP, status: { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '2Gi' } } }] }, true, 'Eligible'],
    ['cpu limit rounded up by 10m (systemd)', { containers: [{ ...APP, status: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2010m', memory: '2Gi' } } }] }, true, 'Eligible'],
  ])('%s', (_what, p, eligible, reason) => {
    const e = eligibility(view(p));
    expect(e.eligible).toBe(eligible);
    expect(e.reason).toBe(reason);
    expect(e.message.length).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------------------------------------
describe('selection', () => {
  it.each([
    [10, 3, 1],
    [10, 10, 1],
    [10, 11, 2],
    [25, 8, 2],
    [33, 3, 1],
    [50, 3, 2],
    [100, 5, 5],
    [1, 1, 1],
    [10, 0, 0],
  ])('canaryCount(%i%%, %i eligible) = %i', (pct, n, want) => expect(canaryCount(pct, n)).toBe(want));

  const fleet = (n: number, nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']) => Array.from({ length: n }, (_, i) => view({ name: `web-${String(i).padStart(2, '0')}`, node: nodes[i % nodes.length]! }));
  const zoneOf = (pods: PodView[], names: string[]) => names.map((n) => pods.find((p) => p.name === n)!.zone);
  const nodeOf = (pods: PodView[], names: string[]) => names.map((n) => pods.find((p) => p.name === n)!.nodeName);

  it('spreads the wave across zones, not list order', () => {
    // List order puts all of zone a first.
    const pods = [...fleet(4, ['n1', 'n2']), ...fleet(4, ['n3', 'n4']).map((p) => ({ ...p, name: `b-${p.name}` })), ...fleet(4, ['n5', 'n6']).map((p) => ({ ...p, name: `c-${p.name}` }))];
    const names = selectCanary({ candidates: pods, percentage: 25, cycleId: 'g1-x' });
    expect(names).toHaveLength(3);
    expect(new Set(zoneOf(pods, names))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('within a zone, spreads across nodes', () => {
    const pods = fleet(8, ['n1', 'n1', 'n1', 'n2']); // zone a only, 6 pods on n1, 2 on n2
    const names = selectCanary({ candidates: pods, percentage: 25, cycleId: 'g1-x' });
    expect(names).toHaveLength(2);
    expect(new Set(nodeOf(pods, names))).toEqual(new Set(['n1', 'n2']));
  });

  it('pods without zones are spread across nodes', () => {
    const pods = fleet(6, ['x1', 'x2', 'x3']);
    const names = selectCanary({ candidates: pods, percentage: 50, cycleId: 'g1-x' });
    expect(new Set(nodeOf(pods, names)).size).toBe(3);
  });

  it('is deterministic for a cycle, whatever the input order', () => {
    const pods = fleet(20);
    const a = selectCanary({ candidates: pods, percentage: 20, cycleId: 'g3-c1' });
    const b = selectCanary({ candidates: [...pods].reverse(), percentage: 20, cycleId: 'g3-c1' });
    expect(new Set(a)).toEqual(new Set(b));
  });

  it('differs across cycles', () => {
    const pods = fleet(30);
    const picks = new Set(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((c) => selectCanary({ candidates: pods, percentage: 10, cycleId: c }).sort().join(',')));
    expect(picks.size).toBeGreaterThan(1);
  });

  it('selects at least one pod', () => expect(selectCanary({ candidates: fleet(3), percentage: 1, cycleId: 'c' })).toHaveLength(1));

  it('pods already in the subset stay and count', () => {
    const pods = fleet(10);
    const stay = [pods[7]!];
    const names = selectCanary({ candidates: pods.filter((p) => p !== pods[7]), stay, percentage: 20, cycleId: 'c' });
    expect(names[0]).toBe(pods[7]!.name);
    expect(names).toHaveLength(2);
    expect(zoneOf(pods, names)[1]).not.toBe(pods[7]!.zone);
  });

  it('preferred pods are picked first', () => {
    const pods = fleet(10);
    const names = selectCanary({ candidates: pods, percentage: 10, cycleId: 'c', prefer: new Set([pods[4]!.name]) });
    expect(names).toEqual([pods[4]!.name]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('precheck', () => {
  const base = (p: P, target: PrecheckInput['target'], over: Partial<PrecheckInput> = {}): PrecheckInput => ({
    pod: view(p),
    target,
    controlledValues: 'RequestsAndLimits',
    serverMinor: 35,
    ...over,
  });
  const down = { app: { requests: { cpu: '500m', memory: '768Mi' } } };

  it('Burstable, RequestsAndLimits: limits keep their ratio; absolute values for the patch', () => {
    const r = precheck(base({}, down));
    expect(r).toMatchObject({
      ok: true,
      containers: [{ name: 'app', resources: { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } } }],
      from: { app: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } },
      to: { app: { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } } },
      restartExpected: [],
    });
  });

  it('ratio 1.5 kept exactly', () => {
    const r = precheck(base({ containers: [{ name: 'app', requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '300m', memory: '1536Mi' } }] }, { app: { requests: { cpu: '400m', memory: '700Mi' } } }));
    expect(r.ok && r.to.app).toEqual({ requests: { cpu: '400m', memory: '700Mi' }, limits: { cpu: '600m', memory: '1050Mi' } });
  });

  it('RequestsOnly: limits unchanged, a request never passes its limit', () => {
    const r = precheck(base({}, { app: { requests: { cpu: '3', memory: '768Mi' } } }, { controlledValues: 'RequestsOnly' }));
    expect(r.ok && r.to.app).toEqual({ requests: { cpu: '2', memory: '768Mi' }, limits: { cpu: '2', memory: '2Gi' } });
  });

  it('per-resource controlledValues', () => {
    const r = precheck(base({}, down, { controlledValues: { cpu: 'RequestsOnly', memory: 'RequestsAndLimits' } }));
    expect(r.ok && r.to.app!.limits).toEqual({ cpu: '2', memory: '1536Mi' });
  });

  it('a limit that did not exist is never added, nor a request', () => {
    const r = precheck(base({ containers: [{ name: 'app', requests: { cpu: '1' } }] }, { app: { requests: { cpu: '500m', memory: '256Mi' } } }));
    expect(r.ok && r.to.app).toEqual({ requests: { cpu: '500m' } });
    expect(r.ok && r.containers[0]!.resources).toEqual({ requests: { cpu: '500m' } });
  });

  it('Guaranteed moves requests and limits together', () => {
    const g: C = { name: 'app', requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    const r = precheck(base({ containers: [g] }, down, { controlledValues: 'RequestsOnly' }));
    expect(r.ok && r.containers).toEqual([{ name: 'app', resources: { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '500m', memory: '768Mi' } } }]);
  });

  it('Burstable must not become Guaranteed', () => {
    const b: C = { name: 'app', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    const r = precheck(base({ containers: [b] }, { app: { requests: { cpu: '2', memory: '1Gi' } } }, { controlledValues: 'RequestsOnly' }));
    expect(r).toMatchObject({ ok: false, reason: 'QoSChange' });
  });

  it.each<[string, P, PrecheckInput['target'], Partial<PrecheckInput>, string]>([
    ['BestEffort', { containers: [{ name: 'app' }] }, down, {}, 'BestEffort'],
    ['no change ("1000m" = "1")', {}, { app: { requests: { cpu: '1000m', memory: '1024Mi' } } }, {}, 'NoChange'],
    ['no recommendation for any container', {}, { other: { requests: { cpu: '1' } } }, {}, 'NoRecommendation'],
    ['damaged record', { annotations: { 'attune.dev/original-resources': '[', 'attune.dev/cycle': 'c' } }, down, {}, 'DamagedRecord'],
    ['Kubernetes 1.32', {}, down, { serverMinor: 32 }, 'UnsupportedServer'],
    ['Windows', { windows: true }, down, {}, 'Windows'],
    ['pod-level resources', { podResources: true }, down, {}, 'PodLevelResources'],
    ['not a quantity', {}, { app: { requests: { cpu: 'lots' } } }, {}, 'InvalidQuantity'],
  ])('skips: %s', (_w, p, target, over, reason) => {
    const r = precheck(base(p, target, over));
    expect(r).toMatchObject({ ok: false, reason });
    expect(!r.ok && r.message.length).toBeGreaterThan(0);
  });

  it.each<[string, number, string | undefined, boolean]>([
    ['1.33, memory resizePolicy NotRequired', 33, undefined, false],
    ['1.33, memory resizePolicy RestartContainer', 33, 'RestartContainer', true],
    ['1.34, NotRequired', 34, undefined, true],
    ['1.35, NotRequired', 35, undefined, true],
  ])('memory-limit decrease on %s', (_w, minor, policy, ok) => {
    const c: C = { ...APP, ...(policy ? { resizePolicy: { memory: policy } } : {}) };
    const r = precheck(base({ containers: [c] }, down, { serverMinor: minor }));
    if (ok) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, reason: 'MemoryLimitDecreaseUnsupported' });
    if (r.ok && policy) expect(r.restartExpected).toEqual(['app']);
  });

  it('1.33 allows memory-limit increases and request-only decreases', () => {
    expect(precheck(base({}, { app: { requests: { memory: '1280Mi' } } }, { serverMinor: 33 })).ok).toBe(true);
    expect(precheck(base({}, { app: { requests: { memory: '768Mi' } } }, { serverMinor: 33, controlledValues: 'RequestsOnly' })).ok).toBe(true);
  });

  it.each<[string, PrecheckInput['limitRanges'], boolean]>([
    ['within bounds', [{ type: 'Container', min: { cpu: '100m' }, max: { memory: '4Gi' } }], true],
    ['cpu below min', [{ type: 'Container', min: { cpu: '600m' } }], false],
    ['memory limit above max', [{ type: 'Container', max: { memory: '1Gi' } }], false],
    ['limit/request ratio above max', [{ type: 'Container', maxLimitRequestRatio: { cpu: '1500m' } }], false],
    ['Pod item: summed limit above max', [{ type: 'Pod', max: { cpu: '900m' } }], false],
    ['other item types are ignored', [{ type: 'PersistentVolumeClaim', max: { storage: '1Gi' } }], true],
  ])('LimitRange: %s', (_w, limitRanges, ok) => {
    const r = precheck(base({}, down, { limitRanges }));
    if (ok) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, reason: 'LimitRange' });
  });

  const up = { app: { requests: { cpu: '1500m', memory: '1Gi' } } };
  it.each<[string, PrecheckInput['quotas'], PrecheckInput['quotaReserved'], boolean]>([
    ['room left', [{ name: 'q', hard: { 'requests.cpu': '10' }, used: { 'requests.cpu': '9' } }], undefined, true],
    ['requests.cpu exceeded', [{ name: 'q', hard: { 'requests.cpu': '10' }, used: { 'requests.cpu': '9600m' } }], undefined, false],
    ['limits.cpu exceeded (limit follows the ratio)', [{ name: 'q', hard: { 'limits.cpu': '10' }, used: { 'limits.cpu': '9500m' } }], undefined, false],
    ['"cpu" means requests.cpu', [{ name: 'q', hard: { cpu: '10' }, used: { cpu: '9600m' } }], undefined, false],
    ['taken by an earlier resize of the plan', [{ name: 'q', hard: { 'requests.cpu': '10' }, used: { 'requests.cpu': '9' } }], { q: { 'requests.cpu': 800n } }, false],
    ['scoped to Terminating pods: does not apply', [{ name: 'q', hard: { 'requests.cpu': '1' }, used: { 'requests.cpu': '1' }, scopes: ['Terminating'] }], undefined, true],
    ['scoped to a priority class the pod lacks', [{ name: 'q', hard: { 'requests.cpu': '1' }, used: { 'requests.cpu': '1' }, scopeSelector: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] }], undefined, true],
  ])('ResourceQuota: %s', (_w, quotas, quotaReserved, ok) => {
    const r = precheck(base({}, up, { quotas, ...(quotaReserved ? { quotaReserved } : {}) }));
    if (ok) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, reason: 'Quota' });
  });

  it('a decrease passes a quota that is already over', () => {
    expect(precheck(base({}, down, { quotas: [{ name: 'q', hard: { 'requests.cpu': '1' }, used: { 'requests.cpu': '5' } }] })).ok).toBe(true);
  });

  it('node room: an increase must fit, a decrease always does', () => {
    expect(precheck(base({}, up, { nodeRoom: { cpu: 1400n } }))).toMatchObject({ ok: false, reason: 'NodeRoom' });
    expect(precheck(base({}, up, { nodeRoom: { cpu: 1500n } })).ok).toBe(true);
    expect(precheck(base({}, down, { nodeRoom: { cpu: 0n, memory: 0n } })).ok).toBe(true);
  });

  it('reports the quota and node deltas the plan reserves', () => {
    const r = precheck(base({}, up));
    expect(r.ok && r.quotaDelta).toEqual({ 'requests.cpu': 500n, 'requests.memory': 0n, 'limits.cpu': 1000n, 'limits.memory': 0n });
    expect(r.ok && r.nodeDelta).toEqual({ cpu: 500n, memory: 0n });
  });

  it('only changed containers are in the patch', () => {
    const side: C = { name: 'side', requests: { cpu: '100m', memory: '64Mi' } };
    const r = precheck(base({ containers: [APP, side] }, { ...down, side: { requests: { cpu: '100m', memory: '64Mi' } } }));
    expect(r.ok && r.containers.map((c) => c.name)).toEqual(['app']);
  });
});

// ------------------------------------------------------------------------------------------------
describe('safety verdicts', () => {
  const AT = NOW - 10 * MIN;
  const baseline = { at: T(AT), restarts: { app: 0 } };
  const opts = { notReadyGraceMs: 2 * MIN };
  const v = (p: P, o: Parameters<typeof violation>[2] = opts, b = baseline, now = NOW) => violation(view(p), b, o, now);

  it('a healthy pod has no violation', () => expect(v({})).toBeUndefined());

  it.each<[string, P, string | undefined]>([
    ['OOMKilled after the resize', { containers: [{ ...APP, restarts: 1, lastTerminated: { reason: 'OOMKilled', finishedAt: T(AT + MIN) } }] }, 'oomkill'],
    ['OOMKilled within the resize second (finishedAt has no millis)', { containers: [{ ...APP, lastTerminated: { reason: 'OOMKilled', finishedAt: T(AT) } }] }, 'oomkill'],
    ['OOMKilled before the resize, no restart since', { containers: [{ ...APP, lastTerminated: { reason: 'OOMKilled', finishedAt: T(AT - MIN) } }] }, undefined],
    ['restart above baseline, last reason OOMKilled, no time', { containers: [{ ...APP, restarts: 1, lastTerminated: { reason: 'OOMKilled' } }] }, 'oomkill'],
    ['a restart (threshold 1)', { containers: [{ ...APP, restarts: 1, lastTerminated: { reason: 'Error', finishedAt: T(AT + MIN) } }] }, 'restart'],
    ['resize Error', { inProgress: { reason: 'Error', message: 'usage 900Mi above limit 768Mi' } }, 'resize-error'],
    ['resize Infeasible', { pending: { reason: 'Infeasible', message: 'node too small' } }, 'infeasible'],
    ['NotReady within the grace', { ready: false, readySince: NOW - MIN }, undefined],
    ['NotReady longer than the grace', { ready: false, readySince: NOW - 3 * MIN }, 'notready'],
    ['NotReady exactly the grace', { ready: false, readySince: NOW - 2 * MIN }, undefined],
  ])('%s', (_w, p, reason) => expect(v(p)?.reason).toBe(reason));

  it('the violation names the container and says why', () => {
    const x = v({ containers: [{ ...APP, restarts: 1, lastTerminated: { reason: 'OOMKilled', finishedAt: T(AT + MIN) } }] });
    expect(x).toMatchObject({ reason: 'oomkill', container: 'app' });
    expect(x!.message).toMatch(/OOMKilled/);
  });

  it.each([
    [2, 3, undefined],
    [3, 3, 'restart'],
    [5, 3, 'restart'],
  ])('restart spike: %i restarts with threshold %i', (restarts, threshold, reason) => {
    expect(v({ containers: [{ ...APP, restarts }] }, { ...opts, restartThreshold: threshold })?.reason).toBe(reason);
  });

  it('the restart a RestartContainer resize causes is in the baseline', () => {
    expect(v({ containers: [{ ...APP, restarts: 1 }] }, opts, { at: T(AT), restarts: { app: 1 } })).toBeUndefined();
  });

  it('NotReady since before the resize counts from the resize', () => {
    // NotReady for an hour, but the resize was 1 minute ago.
    const b = { at: T(NOW - MIN), restarts: { app: 0 } };
    expect(v({ ready: false, readySince: NOW - 60 * MIN }, opts, b)).toBeUndefined();
    expect(v({ ready: false, readySince: NOW - 60 * MIN }, opts, b, NOW + 2 * MIN)?.reason).toBe('notready');
  });

  it('Deferred and in-progress deadlines apply only when given', () => {
    const deferred: P = { pending: { reason: 'Deferred', since: AT }, containers: [{ ...APP, status: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } }, allocated: { cpu: '1', memory: '1Gi' } }] };
    expect(v(deferred)).toBeUndefined();
    expect(v(deferred, { ...opts, deferredTimeoutMs: 20 * MIN })).toBeUndefined();
    expect(v(deferred, { ...opts, deferredTimeoutMs: 5 * MIN })?.reason).toBe('deferred-timeout');
    const stuck: P = { containers: [{ ...APP, status: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }] };
    expect(v(stuck, { ...opts, inProgressTimeoutMs: 5 * MIN })?.reason).toBe('in-progress-timeout');
  });

  it('nextSafetyCheck is the end of the NotReady grace', () => {
    expect(nextSafetyCheck(view({ ready: false, readySince: NOW - MIN }), baseline, opts, NOW)).toBe(NOW + MIN + 1);
    expect(nextSafetyCheck(view({}), baseline, opts, NOW)).toBeUndefined();
  });

  it.each<[string, P, Parameters<typeof appliedState>[1], string]>([
    ['applied', {}, undefined, 'applied'],
    ['applied, quantities compared by value', { containers: [{ ...APP, status: { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '2', memory: '2048Mi' } } }] }, undefined, 'applied'],
    ['status behind the spec', { containers: [{ ...APP, status: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }] }, undefined, 'in-progress'],
    ['generation not observed', { generation: 2, observedGeneration: 1 }, undefined, 'in-progress'],
    ['PodResizeInProgress without reason', { inProgress: {} }, undefined, 'in-progress'],
    ['Deferred', { pending: { reason: 'Deferred' } }, undefined, 'deferred'],
    ['Infeasible', { pending: { reason: 'Infeasible' } }, undefined, 'infeasible'],
    ['Error', { inProgress: { reason: 'Error' } }, undefined, 'error'],
    ['spec does not carry the target yet', {}, { app: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }, 'in-progress'],
    ['spec carries the target', {}, { app: { requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } }, 'applied'],
  ])('appliedState: %s', (_w, p, target, want) => expect(appliedState(view(p), target)).toBe(want));
});

// ------------------------------------------------------------------------------------------------
describe('cycle ids', () => {
  it('round-trip generation and start (whole seconds) and name the policy', () => {
    const id = cycleId('uid-1', 7, NOW + 1234);
    expect(id).toMatch(/^g7-20261122T120001Z-[0-9a-f]{8}$/);
    expect(parseCycleId(id)).toMatchObject({ generation: 7, startMs: NOW + 1000 });
    expect(cycleId('uid-1', 7, NOW)).not.toBe(cycleId('uid-2', 7, NOW));
  });
  it.each(['', 'c1', 'g1-2026-abc', 'g1-20261122T120000Z-XYZ'])('rejects %j', (id) => expect(parseCycleId(id)).toBeUndefined());
});
