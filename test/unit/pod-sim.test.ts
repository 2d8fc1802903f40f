// The pod status the simulated kubelet writes, the patch that writes it, and how its status sync
// compares it with the API's (pure).
import { describe, expect, it } from 'vitest';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
// The typed shape client-node gives list results and call responses (not re-exported at the root).
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { kubeletStatusKey, newPodSim, podReady, podStatus, statusPatch, statusSyncVerdict } from '../../hack/kubelet/pod-sim.ts';
import { RESTART_DELAY_MS } from '../../hack/sim/container-model.ts';
import { CRASH_ANNOTATION } from '../../hack/sim/faults.ts';
import { PROFILE_ANNOTATION } from '../../hack/sim/profile.ts';

const T0 = Date.UTC(2026, 10, 22);
const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'n', uid: 'u1', generation: 3 },
  spec: {
    nodeName: 'node-0',
    containers: [
      { name: 'app', image: 'img:1', resources: { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '1Gi' }, limits: { memory: '128Mi' } } },
      { name: 'side', image: 'img:2' },
    ],
  },
};

describe('podStatus', () => {
  const sim = newPodSim(pod, undefined, '10.244.0.9', T0);
  const s = podStatus(sim).status;

  it('reports cpu/memory resources and allocated requests as a 1.35 kubelet does', () => {
    expect(s.containerStatuses[0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: new Date(T0).toISOString() } },
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      allocatedResources: { cpu: '100m', memory: '64Mi' },
    });
    expect(s.containerStatuses[0]!.resources.requests).not.toHaveProperty('ephemeral-storage');
    // No resources in the spec: an empty block, not a missing one (the apiserver refuses resizes
    // of running containers whose status has no resources at all).
    expect(s.containerStatuses[1]!.resources).toEqual({});
    expect(s.containerStatuses[1]).not.toHaveProperty('allocatedResources');
  });

  it('is Running and Ready for the observed generation, with every kubelet condition', () => {
    expect(s.phase).toBe('Running');
    expect(s.observedGeneration).toBe(3);
    expect(s.conditions.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(s.podIP).toBe('10.244.0.9');
  });

  it('shows a resize condition with its reason and generation', () => {
    const p = { ...sim, resize: { type: 'PodResizePending' as const, reason: 'Deferred' as const, message: 'no room', generation: 4, sinceMs: T0 + 5 } };
    expect(podStatus(p).status.conditions.at(-1)).toMatchObject({ type: 'PodResizePending', status: 'True', reason: 'Deferred', message: 'no room', observedGeneration: 4 });
  });

  it('an OOM-killed container: waiting, not ready, lastState OOMKilled with exit code 137', () => {
    const c0 = sim.containers[0]!;
    const killed = {
      ...sim,
      ready: false,
      containers: [{ ...c0, sim: { ...c0.sim, restarts: 2, lastTerminatedReason: 'OOMKilled' as const, lastTerminatedAtMs: T0 + 1000, restartingUntilMs: T0 + 1000 + RESTART_DELAY_MS } }, sim.containers[1]!],
    };
    expect(podReady(killed)).toBe(false);
    const st = podStatus(killed).status;
    expect(st.containerStatuses[0]).toMatchObject({ ready: false, started: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } });
    expect(st.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  });

  it('a crashed container: lastState terminated with exit code 1, reason Error', () => {
    const c0 = sim.containers[0]!;
    const crashed = { ...sim, containers: [{ ...c0, sim: { ...c0.sim, restarts: 1, lastTerminatedReason: 'Error' as const, lastTerminatedAtMs: T0 + 2000, restartingUntilMs: T0 + 2000 + RESTART_DELAY_MS } }, sim.containers[1]!] };
    expect(podStatus(crashed).status.containerStatuses[0]).toMatchObject({
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: new Date(T0 + 2000).toISOString() } },
    });
  });

  it('records the profile and fault annotations present at creation', () => {
    const annotated = { ...pod, metadata: { ...pod.metadata, annotations: { [PROFILE_ANNOTATION]: 'default: {}', [CRASH_ANNOTATION]: 't1:app' } } };
    const p = newPodSim(annotated, undefined, '10.244.0.10', T0);
    expect(p.profileAnnotation).toBe('default: {}');
    expect(p.faults[CRASH_ANNOTATION]).toEqual({ value: 't1:app', token: 't1' });
    expect(p.containers.every((c) => c.sim.pendingExits === undefined)).toBe(true);
    expect(sim.profileAnnotation).toBeUndefined();
  });

  it('a terminating pod is not Ready', () => {
    const t = { ...sim, terminatingSinceMs: T0 + 1 };
    expect(podReady(t)).toBe(false);
    expect(podStatus(t).status.containerStatuses.every((c) => !c.ready)).toBe(true);
  });
});

describe('statusPatch (strategic merge, as the kubelet sends it)', () => {
  const sim = newPodSim(pod, undefined, '10.244.0.9', T0);

  it('writes each condition whole, deletes resize conditions the pod lacks, clears a pod-level reason', () => {
    const body = statusPatch(sim).status;
    expect(body.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: null, message: null });
    expect(body.conditions.filter((c) => '$patch' in c)).toEqual([
      { type: 'PodResizePending', $patch: 'delete' },
      { type: 'PodResizeInProgress', $patch: 'delete' },
    ]);
    expect(body).toMatchObject({ reason: null, message: null, phase: 'Running' });
  });

  it('keeps a not-ready reason, and does not delete the resize condition it writes', () => {
    const p = { ...sim, ready: false, resize: { type: 'PodResizePending' as const, reason: 'Deferred' as const, message: 'no room', generation: 4, sinceMs: T0 } };
    const body = statusPatch(p).status;
    expect(body.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(body.conditions.find((c) => c.type === 'PodResizePending')).toMatchObject({ reason: 'Deferred', message: 'no room' });
    expect(body.conditions.filter((c) => '$patch' in c)).toEqual([{ type: 'PodResizeInProgress', $patch: 'delete' }]);
  });
});

describe('kubeletStatusKey (what the status sync compares)', () => {
  const sim = newPodSim(pod, undefined, '10.244.0.9', T0 + 123);
  /** The status as the apiserver returns it: times to the second, null fields absent; raw (a
   * watch event) or typed (a list or a call response). */
  const raw = (): V1PodStatus => JSON.parse(JSON.stringify(podStatus(sim).status, (_k, v: unknown) => (v === null ? undefined : v)).replace(/\.\d{3}Z/g, 'Z')) as V1PodStatus;
  const typed = (s: V1PodStatus): V1PodStatus => ObjectSerializer.deserialize(s, 'V1PodStatus') as V1PodStatus;
  const withReady = (s: V1PodStatus, change: Record<string, unknown>): V1PodStatus => ({ ...s, conditions: s.conditions!.map((c) => (c.type === 'Ready' ? { ...c, ...change } : c)) });

  it('is the same for the raw and the typed shape of one status', () => {
    const t = typed(raw());
    expect(t.startTime).toBeInstanceOf(Date);
    expect(kubeletStatusKey(t)).toBe(kubeletStatusKey(raw()));
  });

  it('differs when a condition the kubelet owns changed status or reason (the node controller\'s NotReady)', () => {
    expect(kubeletStatusKey(withReady(raw(), { status: 'False' }))).not.toBe(kubeletStatusKey(raw()));
    expect(kubeletStatusKey(withReady(raw(), { reason: 'NodeNotReady' }))).not.toBe(kubeletStatusKey(raw()));
  });

  it('differs when container statuses or the phase differ', () => {
    const s = raw();
    expect(kubeletStatusKey({ ...s, containerStatuses: s.containerStatuses!.map((c) => ({ ...c, ready: false })) })).not.toBe(kubeletStatusKey(s));
    expect(kubeletStatusKey({ ...s, phase: 'Failed' })).not.toBe(kubeletStatusKey(s));
    expect(kubeletStatusKey({ ...s, reason: 'NodeLost' })).not.toBe(kubeletStatusKey(s));
  });

  it('ignores condition times, conditions other components own, and fields the kubelet does not write', () => {
    const s = raw();
    expect(kubeletStatusKey(withReady(s, { lastTransitionTime: '2030-01-01T00:00:00Z', lastProbeTime: '2030-01-01T00:00:00Z' }))).toBe(kubeletStatusKey(s));
    const gated = { ...s, conditions: [...s.conditions!, { type: 'example.com/gate', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }] };
    expect(kubeletStatusKey(gated)).toBe(kubeletStatusKey(s));
    expect(kubeletStatusKey({ ...s, qosClass: 'Burstable' })).toBe(kubeletStatusKey(s));
  });
});

describe('statusSyncVerdict', () => {
  const sim = newPodSim(pod, undefined, '10.244.0.9', T0);
  const status = JSON.parse(JSON.stringify(podStatus(sim).status).replace(/\.\d{3}Z/g, 'Z')) as V1PodStatus;
  const written = { resourceVersion: '200', key: kubeletStatusKey(status) };
  const cached = (resourceVersion: string, s: V1PodStatus = status, uid = 'u1'): V1Pod => ({ metadata: { name: 'p', namespace: 'n', uid, resourceVersion }, status: s });
  const notReady: V1PodStatus = { ...status, conditions: status.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'NodeNotReady' } : c)) };

  it('same object as our write: nothing to compare', () => expect(statusSyncVerdict(written, cached('200'), 'u1')).toBe('same'));
  it('a cache behind our write is not someone else\'s change, whatever it shows', () => expect(statusSyncVerdict(written, cached('150', notReady), 'u1')).toBe('behind'));
  it('changed since, status still ours', () => expect(statusSyncVerdict(written, cached('201'), 'u1')).toBe('status-same'));
  it('status changed by someone else', () => expect(statusSyncVerdict(written, cached('201', notReady), 'u1')).toBe('differs'));
  it('absent, or another pod of that name', () => {
    expect(statusSyncVerdict(written, undefined, 'u1')).toBe('gone');
    expect(statusSyncVerdict(written, cached('300', status, 'u2'), 'u1')).toBe('gone');
  });
});
