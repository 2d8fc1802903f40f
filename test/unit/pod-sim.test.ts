// The pod status the simulated kubelet writes (pure).
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { newPodSim, podReady, podStatus } from '../../hack/kubelet/pod-sim.ts';
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
