// The pure pieces of the canary shell: plan edits (dropActions, limitResizes), the Resizing
// condition, the status merge patch, read-your-writes ordering, the pod index and the snapshot
// builder over fake caches.
import { describe, expect, it } from 'vitest';
import type { KubernetesObject, V1LimitRange, V1Node, V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import { parseResizePolicySpec } from '../../src/api/resize-policy.ts';
import type { ResizeEvent } from '../../src/api/status.ts';
import { decideCanary, dropActions, limitResizes, resizingCondition, type CanarySnapshot, type Plan } from '../../src/core/canary/index.ts';
import { buildCanarySnapshot, podKeysOf, type CanaryCaches } from '../../src/controller/canary-snapshot.ts';
import { PodIndex, workloadIdOf } from '../../src/controller/pod-index.ts';
import { newerVersion, ReadYourWrites } from '../../src/controller/read-your-writes.ts';
import { mergePatchFrom } from '../../src/controller/status-diff.ts';
import { forEachLimited } from '../../src/runtime/pool.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const ORIGINAL = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };

function pod(name: string, node: string, owner = 'web-abc', rv = '10'): V1Pod {
  return {
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv, generation: 1, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: 'rs', controller: true }] },
    spec: { nodeName: node, containers: [{ name: 'app', resources: structuredClone(ORIGINAL) }] },
    status: {
      phase: 'Running',
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, resources: structuredClone(ORIGINAL), allocatedResources: { ...ORIGINAL.requests } }],
    },
  };
}
const rs = (name: string, deployment: string): KubernetesObject => ({ metadata: { name, namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: 'd', controller: true }] } });
const node = (name: string, zone: string): V1Node => ({ metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } }, status: { allocatable: { cpu: '8', memory: '16Gi' } } });

function caches(pods: V1Pod[], extra: Partial<CanaryCaches> = {}): CanaryCaches {
  const index = new PodIndex();
  for (const p of pods) index.upsert(p);
  const byKey = new Map(pods.map((p) => [`shop/${p.metadata!.name}`, p]));
  const nodes = new Map(['n1', 'n2', 'n3'].map((n, i) => [n, node(n, i < 2 ? 'a' : 'b')]));
  return {
    pod: (k) => byKey.get(k),
    podsOwnedBy: (id) => index.ownedBy(id),
    podsOnNode: (n) => index.onNode(n),
    node: (n) => nodes.get(n),
    replicaSets: () => [rs('web-abc', 'web'), rs('other-1', 'other')],
    limitRanges: () => [] as V1LimitRange[],
    quotas: () => [] as V1ResourceQuota[],
    ...extra,
  };
}

function spec(strategy: Record<string, unknown>) {
  const r = parseResizePolicySpec({ targetRef: { kind: 'Deployment', name: 'web' }, updateStrategy: { type: 'Canary', cooldown: '2h', ...strategy } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.spec;
}

function snapshot(pods: V1Pod[], strategy: Record<string, unknown>): CanarySnapshot {
  return buildCanarySnapshot(caches(pods), {
    policy: { namespace: 'shop', name: 'web', uid: 'policy-uid', generation: 1, spec: spec(strategy), status: { observedGeneration: 1 } },
    target: { found: true, workloads: [{ kind: 'Deployment', name: 'web', containers: [{ name: 'app', ...ORIGINAL }] }] },
    recommendations: [{ kind: 'Deployment', name: 'web', containers: [{ name: 'app', recommended: { requests: { cpu: '500m', memory: '768Mi' } } }] }],
    metricsAvailable: true,
    serverMinor: 35,
  });
}

const fleet = (n: number) => Array.from({ length: n }, (_, i) => pod(`web-${i}`, `n${(i % 3) + 1}`));

describe('buildCanarySnapshot', () => {
  it("takes a Deployment's pods through its ReplicaSets, with zones and node room", () => {
    const s = snapshot([...fleet(4), pod('stranger', 'n1', 'other-1')], { type: 'Auto' });
    expect(s.workloads).toHaveLength(1);
    expect(s.workloads[0]!.pods.map((p) => p.name)).toEqual(['web-0', 'web-1', 'web-2', 'web-3']);
    expect(s.workloads[0]!.pods[2]!.zone).toBe('b');
    // n1 holds web-0, web-3 and the stranger: 3 CPUs, 3Gi allocated of 8 / 16Gi.
    expect(s.cluster.nodes.n1).toEqual({ name: 'n1', allocatable: { cpu: '8', memory: '16Gi' }, allocated: { cpu: '3', memory: '3Gi' } });
    expect(s.cluster.serverMinor).toBe(35);
  });

  it('feeds decideCanary: Auto resizes every pod of the Deployment and nothing else', () => {
    const plan = decideCanary(snapshot([...fleet(4), pod('stranger', 'n1', 'other-1')], { type: 'Auto' }), T0);
    expect(plan.resize.map((a) => a.pod).sort()).toEqual(['web-0', 'web-1', 'web-2', 'web-3']);
    expect(plan.resize[0]!.annotations['attune.dev/original-resources']).toBe(JSON.stringify({ app: ORIGINAL }));
  });

  it('podKeysOf: other kinds are indexed by their own controller', () => {
    const sts = pod('db-0', 'n1');
    sts.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 's', controller: true }];
    expect(podKeysOf(caches([sts]), 'shop', 'StatefulSet', 'db')).toEqual(['shop/db-0']);
    expect(podKeysOf(caches([sts]), 'shop', 'Deployment', 'db')).toEqual([]);
  });
});

describe('plan edits', () => {
  const plan = (): Plan => decideCanary(snapshot(fleet(6), { type: 'Auto' }), T0);
  const prev: ResizeEvent[] = [{ time: new Date(T0 - 1000).toISOString(), pod: 'old', container: 'app', result: 'Resized' }];

  it('dropActions removes the actions with their history entries and events', () => {
    const p = plan();
    const d = dropActions(p, { resize: new Set(['web-1', 'web-4']) }, prev);
    expect(d.resize.map((a) => a.pod)).not.toContain('web-1');
    expect(d.resize).toHaveLength(4);
    expect(d.history.map((h) => h.pod)).toEqual(d.resize.map((a) => a.pod));
    expect(d.events.filter((e) => e.reason === 'Resized').map((e) => e.pod)).toEqual(d.resize.map((a) => a.pod));
    expect(d.resizeHistory[0]).toEqual(prev[0]);
    expect(d.resizeHistory).toHaveLength(5);
    expect(dropActions(p, {}, prev)).toBe(p);
  });

  it('limitResizes keeps the first n and asks to come back at once', () => {
    const l = limitResizes(plan(), 2, prev);
    expect(l.resize).toHaveLength(2);
    expect(l.history).toHaveLength(2);
    expect(l.requeueAfterMs).toBe(0);
    const all = plan();
    expect(limitResizes(all, 50, prev)).toBe(all);
  });
});

describe('resizingCondition', () => {
  it('False for Recommend and for a hold, True with the outcome as reason otherwise; transition time kept while the status holds', () => {
    const rec = resizingCondition({ mode: 'Recommend', outcome: { state: 'idle', message: 'off' } }, undefined, 1, T0);
    expect(rec).toMatchObject({ type: 'Resizing', status: 'False', reason: 'RecommendMode', observedGeneration: 1 });
    const held = resizingCondition({ mode: 'Canary', outcome: { state: 'held', message: 'no metrics' }, hold: { reason: 'MetricsUnavailable', message: 'x' } }, [rec], 1, T0 + 1000);
    expect(held).toMatchObject({ status: 'False', reason: 'MetricsUnavailable', lastTransitionTime: rec.lastTransitionTime });
    const obs = resizingCondition({ mode: 'Canary', outcome: { state: 'observing', message: 'watching' } }, [held], 1, T0 + 2000);
    expect(obs).toMatchObject({ status: 'True', reason: 'Observing', message: 'watching', lastTransitionTime: new Date(T0 + 2000).toISOString() });
    expect(resizingCondition({ mode: 'Canary', outcome: { state: 'blocked', message: '' } }, [obs], 1, T0).reason).toBe('PromotionBlocked');
  });
});

describe('mergePatchFrom', () => {
  it('sets what changed, nulls what went away at every level, replaces arrays whole', () => {
    const before = { canary: { phase: 'CanaryInProgress', pods: ['a'], observationEnd: 'x' }, workloads: [{ name: 'w' }], observedGeneration: 1, gone: 1 };
    const after = { canary: { phase: 'FullRollout', pods: [] }, workloads: [{ name: 'w' }], observedGeneration: 2 };
    expect(mergePatchFrom(before, after)).toEqual({ gone: null, canary: { phase: 'FullRollout', pods: [], observationEnd: null }, observedGeneration: 2 });
    expect(mergePatchFrom(undefined, { a: 1 })).toEqual({ a: 1 });
  });
});

describe('read-your-writes', () => {
  it('orders numeric resourceVersions; anything else cannot be told apart', () => {
    expect(newerVersion('11', '9')).toBe(true);
    expect(newerVersion('9', '11')).toBe(false);
    expect(newerVersion('123456789012345678901', '123456789012345678900')).toBe(true);
    expect(newerVersion('abc', '1')).toBe(false);
    expect(newerVersion(undefined, '1')).toBe(false);
  });

  it('prefers our newer write until the cache catches up; a replaced object drops it', () => {
    const rw = new ReadYourWrites<V1Pod>();
    const cached = pod('a', 'n1', 'web-abc', '10');
    rw.remember('shop/a', pod('a', 'n1', 'web-abc', '12'));
    expect(rw.pick('shop/a', cached)!.metadata!.resourceVersion).toBe('12');
    expect(rw.pick('shop/a', pod('a', 'n1', 'web-abc', '13'))!.metadata!.resourceVersion).toBe('13');
    expect(rw.size).toBe(0);
    rw.remember('shop/a', pod('a', 'n1', 'web-abc', '20'));
    const replaced = pod('a', 'n1', 'web-abc', '5');
    replaced.metadata!.uid = 'another';
    expect(rw.pick('shop/a', replaced)).toBe(replaced);
    rw.remember('shop/a', pod('a', 'n1', 'web-abc', '30'));
    expect(rw.pick('shop/a', undefined)).toBeUndefined();
  });
});

describe('PodIndex and workloadIdOf', () => {
  it('moves a pod when its node changes and forgets it on delete', () => {
    const idx = new PodIndex();
    const p = pod('a', '');
    idx.upsert(p);
    expect(idx.ownedBy('shop/ReplicaSet/web-abc')).toEqual(['shop/a']);
    expect(idx.onNode('n1')).toEqual([]);
    p.spec!.nodeName = 'n1';
    idx.upsert(p);
    expect(idx.onNode('n1')).toEqual(['shop/a']);
    idx.delete(p);
    expect(idx.ownedBy('shop/ReplicaSet/web-abc')).toEqual([]);
    expect(idx.onNode('n1')).toEqual([]);
  });

  it("maps a ReplicaSet's pod to its Deployment when the ReplicaSet is known", () => {
    const p = pod('a', 'n1');
    expect(workloadIdOf(p, () => rs('web-abc', 'web'))).toBe('shop/Deployment/web');
    expect(workloadIdOf(p, () => undefined)).toBe('shop/ReplicaSet/web-abc');
    expect(workloadIdOf({ metadata: { name: 'bare', namespace: 'shop' } }, () => undefined)).toBeUndefined();
  });
});

describe('forEachLimited', () => {
  it('never has more than the limit in flight and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(n);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await forEachLimited([], 3, () => Promise.reject(new Error('never called')));
  });
});
