// The simulated kubelet as the API shows it: resize actuation with the kubelet's outcomes
// (applied, Deferred, Infeasible, Error), usage consequences (OOMKilled restarts, CFS throttling,
// NotReady) and bad input. Nodes in this tier have 4 CPUs and 8Gi each (global setup).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PatchStrategy, setHeaderOptions, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { resolveBinaries } from '../../hack/cluster/binaries.ts';
import { PROFILE_ANNOTATION } from '../../hack/sim/profile.ts';
import { clients, eventually, freshNamespace, uniqueName, type Clients } from '../support/kube.ts';

const run = promisify(execFile);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
let c: Clients;
let ns: string;
let removeNs: () => Promise<void>;
let node0: string;

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  node0 = inject('nodeNames')[0]!;
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'kubelet'));
});
afterAll(async () => removeNs?.());

interface PodOpts {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  profile?: string;
  node?: string;
}

async function runningPod(prefix: string, o: PodOpts): Promise<V1Pod> {
  const name = uniqueName(prefix);
  const body: V1Pod = {
    metadata: { name, ...(o.profile ? { annotations: { [PROFILE_ANNOTATION]: o.profile } } : {}) },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': o.node ?? node0 },
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: o.requests ?? {}, limits: o.limits ?? {} } }],
    },
  };
  await c.core.createNamespacedPod({ namespace: ns, body });
  return eventually(async () => {
    const p = await read(name);
    expect(p.status?.phase).toBe('Running');
    return p;
  });
}

const read = (name: string) => c.core.readNamespacedPod({ name, namespace: ns });
const resize = (name: string, resources: { requests?: Record<string, string>; limits?: Record<string, string> }) =>
  c.core.patchNamespacedPodResize({ name, namespace: ns, body: { spec: { containers: [{ name: 'app', resources }] } } }, strategic);
const condition = (p: V1Pod, type: string): V1PodCondition | undefined => p.status?.conditions?.find((x) => x.type === type);
const status0 = (p: V1Pod) => p.status!.containerStatuses![0]!;

/** Applied: observedGeneration caught up, status resources = spec, no resize condition. */
async function expectApplied(name: string, requests: Record<string, string>, limits?: Record<string, string>): Promise<V1Pod> {
  return eventually(async () => {
    const p = await read(name);
    expect(p.status!.observedGeneration).toBe(p.metadata!.generation);
    expect(status0(p).resources!.requests).toEqual(requests);
    if (limits) expect(status0(p).resources!.limits).toEqual(limits);
    expect(status0(p).allocatedResources).toEqual(requests);
    expect(condition(p, 'PodResizePending')).toBeUndefined();
    expect(condition(p, 'PodResizeInProgress')).toBeUndefined();
    return p;
  });
}

async function podEvents(name: string): Promise<Array<{ reason?: string; message?: string; type?: string }>> {
  return (await c.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
}

describe('in-place resize actuation', () => {
  it('kubectl patch --subresource resize is actuated and shows in container status', async () => {
    const pod = await runningPod('resize', { requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '400m', memory: '256Mi' } });
    const name = pod.metadata!.name!;
    const { kubectl } = resolveBinaries();
    await run(kubectl, [
      '--kubeconfig', inject('kubeconfig'), '-n', ns, 'patch', 'pod', name, '--subresource', 'resize', '--patch',
      JSON.stringify({ spec: { containers: [{ name: 'app', resources: { requests: { cpu: '300m' }, limits: { cpu: '600m' } } }] } }),
    ]);
    const p = await expectApplied(name, { cpu: '300m', memory: '128Mi' }, { cpu: '600m', memory: '256Mi' });
    expect(p.metadata!.generation).toBe(2);
    expect(status0(p).restartCount).toBe(0); // in place: no restart
    const reasons = (await podEvents(name)).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ResizeStarted', 'ResizeCompleted']));
  });

  it('Deferred while the node lacks room, applied once room frees', async () => {
    const small = await runningPod('deferred', { requests: { cpu: '500m', memory: '64Mi' } });
    const big = await runningPod('hog', { requests: { cpu: '2500m', memory: '64Mi' } });
    const name = small.metadata!.name!;
    await resize(name, { requests: { cpu: '1600m' } }); // 1600 + 2500 + others > 4000

    const deferred = await eventually(async () => {
      const p = await read(name);
      expect(condition(p, 'PodResizePending')).toMatchObject({ status: 'True', reason: 'Deferred' });
      return p;
    });
    expect(condition(deferred, 'PodResizePending')!.message).toMatch(/^Node didn't have enough resource: cpu, requested: 1600m, used: \d+m, capacity: 4000m$/);
    expect(status0(deferred).resources!.requests!.cpu).toBe('500m');
    expect(status0(deferred).allocatedResources!.cpu).toBe('500m');
    expect(deferred.status!.observedGeneration).toBe(deferred.metadata!.generation);

    await c.core.deleteNamespacedPod({ name: big.metadata!.name!, namespace: ns });
    await expectApplied(name, { cpu: '1600m', memory: '64Mi' });
  });

  it('Infeasible when the pod could never fit the node; nothing is applied', async () => {
    const pod = await runningPod('infeasible', { requests: { cpu: '100m', memory: '64Mi' } });
    const name = pod.metadata!.name!;
    await resize(name, { requests: { cpu: '5' } });
    const p = await eventually(async () => {
      const x = await read(name);
      expect(condition(x, 'PodResizePending')).toMatchObject({ reason: 'Infeasible', message: "Node didn't have enough capacity: cpu, requested: 5000m, capacity: 4000m" });
      return x;
    });
    expect(status0(p).resources!.requests!.cpu).toBe('100m');
    expect((await podEvents(name)).map((e) => e.reason)).toContain('ResizeInfeasible');
  });

  it('a memory-limit decrease below usage fails with Error, and succeeds once the target is above usage', async () => {
    const profile = 'containers: {app: {memory: {base: 200Mi}}}';
    const pod = await runningPod('memerr', { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' }, profile });
    const name = pod.metadata!.name!;
    await resize(name, { limits: { memory: '150Mi' } });
    const failed = await eventually(async () => {
      const p = await read(name);
      expect(condition(p, 'PodResizeInProgress')).toMatchObject({ reason: 'Error' });
      return p;
    });
    expect(condition(failed, 'PodResizeInProgress')!.message).toMatch(/memory limit \(157286400\) below current usage \(209715200\)/);
    expect(status0(failed).resources!.limits!.memory).toBe('512Mi');

    await resize(name, { limits: { memory: '300Mi' } });
    await expectApplied(name, { cpu: '100m', memory: '128Mi' }, { memory: '300Mi' });
  });
});

describe('usage consequences', () => {
  it('a memory limit lowered under the usage peaks gives OOMKilled and a rising restart count', async () => {
    // 100Mi, rising to 300Mi for 15 s of every 30 s.
    const profile = 'containers: {app: {memory: {base: 100Mi, spikes: {every: 30s, duration: 15s, magnitude: 2}}}}';
    const pod = await runningPod('oom', { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' }, profile });
    const name = pod.metadata!.name!;
    await resize(name, { limits: { memory: '200Mi' } }); // accepted between peaks (retried while in one)
    await expectApplied(name, { cpu: '100m', memory: '64Mi' }, { memory: '200Mi' });

    const oomed = await eventually(async () => {
      const p = await read(name);
      expect(status0(p).restartCount).toBeGreaterThanOrEqual(1);
      expect(status0(p).lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
      return p;
    }, 90_000);
    const first = status0(oomed).restartCount;
    await eventually(async () => expect(status0(await read(name)).restartCount).toBeGreaterThan(first), 90_000);
    expect((await podEvents(name)).map((e) => e.reason)).toContain('OOMKilling');
  });

  it('CPU demand above the limit is throttled (CFS counters) and, per profile, makes the pod NotReady', async () => {
    const profile = 'containers: {app: {cpu: {base: "1"}, readiness: {notReadyWhenThrottledAbove: 0.2}}}';
    const pod = await runningPod('throttle', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m' }, profile });
    const name = pod.metadata!.name!;
    const p = await eventually(async () => {
      const x = await read(name);
      expect(condition(x, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
      return x;
    });
    expect(status0(p).ready).toBe(false);
    expect(p.status!.phase).toBe('Running');

    const series = async () => {
      const text = await (await fetch(`http://${inject('metricsAddress')}/metrics`)).text();
      const value = (metric: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`pod="${name}"`) && l.includes('container="app"'));
        return line === undefined ? undefined : Number(line.split(' ').at(-1));
      };
      return { throttled: value('container_cpu_cfs_throttled_periods_total'), periods: value('container_cpu_cfs_periods_total'), usage: value('container_cpu_usage_seconds_total') };
    };
    const a = await series();
    const b = await eventually(async () => {
      const s = await series();
      expect(s.periods).toBeGreaterThan(a.periods!);
      return s;
    });
    const ratio = (b.throttled! - a.throttled!) / (b.periods! - a.periods!);
    expect(ratio).toBeCloseTo(0.5, 1); // demand 1 core, limit 0.5 → half the periods throttled

    // Raising the limit above demand ends the throttling and the pod becomes Ready again.
    await resize(name, { limits: { cpu: '1500m' } });
    await eventually(async () => expect(condition(await read(name), 'Ready')).toMatchObject({ status: 'True' }), 30_000);
  });
});

describe('pod lifecycle', () => {
  it('a deleted pod stops being Ready, then is removed once its containers have stopped', async () => {
    const pod = await runningPod('graceful', { requests: { cpu: '100m', memory: '64Mi' } });
    const name = pod.metadata!.name!;
    const seen: string[] = [];
    await c.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 30 });
    await eventually(async () => {
      const p = await read(name).catch(() => undefined);
      if (p) seen.push(`${p.metadata?.deletionTimestamp ? 'deleting' : 'live'}/${condition(p, 'Ready')?.status}`);
      expect(p).toBeUndefined();
    }, 20_000, 50);
    // Within the 30 s grace period it was seen terminating and not Ready before it went away.
    expect(seen).toContain('deleting/False');
  });
});

describe('bad input', () => {
  it('a malformed profile gives a Warning event naming the problem; the pod runs with the default profile', async () => {
    const pod = await runningPod('badprofile', { requests: { cpu: '100m', memory: '64Mi' }, profile: 'containers: {app: {cpu: {base: lots}}}' });
    const name = pod.metadata!.name!;
    expect(condition(pod, 'Ready')?.status).toBe('True');
    const warning = await eventually(async () => {
      const e = (await podEvents(name)).find((x) => x.reason === 'InvalidUsageProfile');
      expect(e).toBeDefined();
      return e!;
    });
    expect(warning.type).toBe('Warning');
    expect(warning.message).toContain('containers.app.cpu.base');
  });
});
