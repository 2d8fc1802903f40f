// The simulated kubelet as the API shows it: resize actuation with the kubelet's outcomes
// (applied, Deferred, Infeasible, Error), usage consequences (OOMKilled restarts, CFS throttling,
// NotReady), faults injected into running pods (a changed usage profile, crash and OOM tokens),
// the kubelet putting back node and pod status someone else changed (the node-lifecycle
// controller's Unknown / NotReady), and bad input. Nodes in this tier have 4 CPUs and 8Gi each
// (global setup).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PatchStrategy, setHeaderOptions, Watch, type V1Node, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { resolveBinaries } from '../../hack/cluster/binaries.ts';
import { CRASH_ANNOTATION, OOM_ANNOTATION } from '../../hack/sim/faults.ts';
import { PROFILE_ANNOTATION } from '../../hack/sim/profile.ts';
import { clients, eventually, freshNamespace, uniqueName, type Clients } from '../support/kube.ts';

const run = promisify(execFile);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
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
  /** A second container, `sidecar`, with the default profile and no resources. */
  sidecar?: boolean;
}

async function runningPod(prefix: string, o: PodOpts): Promise<V1Pod> {
  const name = uniqueName(prefix);
  const body: V1Pod = {
    metadata: { name, ...(o.profile ? { annotations: { [PROFILE_ANNOTATION]: o.profile } } : {}) },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': o.node ?? node0 },
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'app', image: 'registry.example/app:1', resources: { requests: o.requests ?? {}, limits: o.limits ?? {} } },
        ...(o.sidecar ? [{ name: 'sidecar', image: 'registry.example/proxy:1' }] : []),
      ],
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

/** Sets (or, with null, removes) annotations of a running pod, as a test injecting a fault does. */
const annotate = (name: string, annotations: Record<string, string | null>) =>
  c.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { annotations } } }, merge);
const statusOf = (p: V1Pod, container: string) => p.status!.containerStatuses!.find((s) => s.name === container)!;

/** Resolves with the first watch event (and its arrival time) whose pod satisfies `test`. */
async function watchFor(name: string, test: (p: V1Pod) => boolean): Promise<{ seen: Promise<{ atMs: number; pod: V1Pod }>; stop: () => void }> {
  let resolve!: (v: { atMs: number; pod: V1Pod }) => void;
  let reject!: (e: unknown) => void;
  const seen = new Promise<{ atMs: number; pod: V1Pod }>((res, rej) => ([resolve, reject] = [res, rej]));
  const ctl = await new Watch(c.kc).watch(
    `/api/v1/namespaces/${ns}/pods`,
    { fieldSelector: `metadata.name=${name}` },
    (_type, pod: V1Pod) => {
      if (test(pod)) resolve({ atMs: Date.now(), pod });
    },
    (err: unknown) => reject(err ?? new Error('watch ended')),
  );
  return { seen, stop: () => ctl.abort() };
}

describe('fault injection on running pods', () => {
  it('a usage profile changed to exceed the memory limit OOM-kills the container at once', async () => {
    const pod = await runningPod('liveoom', { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' }, profile: 'containers: {app: {memory: {base: 100Mi}}}' });
    const name = pod.metadata!.name!;
    await annotate(name, { [PROFILE_ANNOTATION]: 'containers: {app: {memory: {base: 400Mi}}}' });
    // Seen within the first restart delay: exactly one kill so far.
    const p = await eventually(async () => {
      const x = await read(name);
      expect(status0(x).lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
      return x;
    }, 5_000, 50);
    expect(status0(p).restartCount).toBe(1);
    expect(status0(p).state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(condition(p, 'Ready')?.status).toBe('False');
    expect((await podEvents(name)).map((e) => e.reason)).toContain('OOMKilling');
  });

  it('an invalid profile change is reported and the previous profile kept', async () => {
    const pod = await runningPod('badchange', { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' }, profile: 'containers: {app: {memory: {base: 100Mi}}}' });
    const name = pod.metadata!.name!;
    await annotate(name, { [PROFILE_ANNOTATION]: 'containers: {app: {memory: {base: 400Mi, leak: 1}}}' });
    const warning = await eventually(async () => {
      const e = (await podEvents(name)).find((x) => x.reason === 'InvalidUsageProfile');
      expect(e).toBeDefined();
      return e!;
    });
    expect(warning.message).toMatch(/^usage profile change ignored, keeping the previous profile: .*containers\.app\.memory: unknown field "leak"/);
    const p = await read(name);
    expect(status0(p).restartCount).toBe(0);
    expect(condition(p, 'Ready')?.status).toBe('True');
  });

  it('a crash token makes the named containers exit once with Error; the same token again does nothing', async () => {
    const pod = await runningPod('crash', { requests: { cpu: '100m', memory: '64Mi' }, sidecar: true });
    const name = pod.metadata!.name!;
    await annotate(name, { [CRASH_ANNOTATION]: 't1:app' });
    const p = await eventually(async () => {
      const x = await read(name);
      expect(statusOf(x, 'app').restartCount).toBe(1);
      return x;
    }, 5_000, 50);
    expect(statusOf(p, 'app').lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    expect(statusOf(p, 'app').lastState?.terminated?.finishedAt).toBeDefined();
    expect(statusOf(p, 'app').ready).toBe(false);
    expect(statusOf(p, 'sidecar')).toMatchObject({ restartCount: 0, ready: true });

    // Running again after the restart delay (10 s).
    await eventually(async () => expect(statusOf(await read(name), 'app').state?.running).toBeDefined(), 20_000);

    // The same token, even naming other containers: nothing happens.
    await annotate(name, { [CRASH_ANNOTATION]: 't1:app,sidecar' });
    await new Promise((r) => setTimeout(r, 2_000));
    const same = await read(name);
    expect(statusOf(same, 'app').restartCount).toBe(1);
    expect(statusOf(same, 'sidecar').restartCount).toBe(0);
    expect((await podEvents(name)).filter((e) => e.reason === 'FaultInjected')).toHaveLength(1);

    // A new token naming both: one more exit each.
    await annotate(name, { [CRASH_ANNOTATION]: 't2:app,sidecar' });
    await eventually(async () => {
      const x = await read(name);
      expect(statusOf(x, 'app').restartCount).toBe(2);
      expect(statusOf(x, 'sidecar').restartCount).toBe(1);
      expect(statusOf(x, 'sidecar').lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    }, 5_000, 50);
  });

  it('an oom token OOM-kills at once, and the status is published promptly (the latency is logged)', async () => {
    const pod = await runningPod('inject-oom', { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    const name = pod.metadata!.name!;
    const w = await watchFor(name, (x) => x.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
    try {
      const before = Date.now();
      await annotate(name, { [OOM_ANNOTATION]: `${before}:app` });
      const patched = Date.now();
      const { atMs, pod: seen } = await Promise.race([w.seen, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no OOMKilled status within 5 s')), 5_000))]);
      console.log(`oom token → OOMKilled status seen by a watch: ${atMs - before} ms after sending the annotation patch (${atMs - patched} ms after its response)`);
      expect(atMs - before).toBeLessThan(1_000);
      expect(status0(seen)).toMatchObject({ restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } });
      // finishedAt (seconds) is the injection time; the OOMKilling event has it in milliseconds.
      const finished = new Date(status0(seen).lastState!.terminated!.finishedAt!).getTime(); // a string in raw watch objects
      expect(finished).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(finished).toBeLessThanOrEqual(atMs);
      const oomEvent = await eventually(async () => {
        const e = (await podEvents(name)).find((x) => x.reason === 'OOMKilling');
        expect(e).toBeDefined();
        return e!;
      });
      const at = Date.parse(/at (\S+Z)/.exec(oomEvent.message!)![1]!);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(atMs);
    } finally {
      w.stop();
    }
  });

  it('a CPU profile raised above the limit throttles the container NotReady at once', async () => {
    const pod = await runningPod('livecpu', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m' }, profile: 'containers: {app: {cpu: {base: 200m}, readiness: {notReadyWhenThrottledAbove: 0.2}}}' });
    const name = pod.metadata!.name!;
    expect(condition(pod, 'Ready')?.status).toBe('True');
    await annotate(name, { [PROFILE_ANNOTATION]: 'containers: {app: {cpu: {base: "1"}, readiness: {notReadyWhenThrottledAbove: 0.2}}}' });
    const p = await eventually(async () => {
      const x = await read(name);
      expect(condition(x, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
      return x;
    }, 5_000, 50);
    expect(status0(p)).toMatchObject({ ready: false, restartCount: 0 });
    expect(status0(p).state?.running).toBeDefined();
    // And back: the annotation removed, the default profile (100m) is under the limit.
    await annotate(name, { [PROFILE_ANNOTATION]: null });
    await eventually(async () => expect(condition(await read(name), 'Ready')?.status).toBe('True'), 5_000, 50);
  });

  it('a fault annotation naming an unknown container is reported and does nothing', async () => {
    const pod = await runningPod('badfault', { requests: { cpu: '100m', memory: '64Mi' } });
    const name = pod.metadata!.name!;
    await annotate(name, { [CRASH_ANNOTATION]: 't1:nope' });
    const warning = await eventually(async () => {
      const e = (await podEvents(name)).find((x) => x.reason === 'InvalidFaultInjection');
      expect(e).toBeDefined();
      return e!;
    });
    expect(warning).toMatchObject({ type: 'Warning', message: `annotation ${CRASH_ANNOTATION}: no container "nope" in the pod (it has app)` });
    expect(status0(await read(name)).restartCount).toBe(0);
  });
});

describe('the kubelet puts back what it owns', () => {
  const KUBELET_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];
  const nodeCondition = (n: V1Node, type: string) => n.status?.conditions?.find((x) => x.type === type);
  const unreachable = (n: V1Node) => (n.spec?.taints ?? []).filter((t) => t.key === 'node.kubernetes.io/unreachable');

  it('a node the node-lifecycle controller marked Ready=Unknown is Ready again within the status update period (10 s)', async () => {
    // The last node: the other tests' pods run on the first, and its taints are waited out below.
    const node = inject('nodeNames').at(-1)!;
    const sent = Date.now();
    // What the controller writes when a kubelet stopped posting (its Lease and status too old).
    await c.core.patchNodeStatus(
      {
        name: node,
        body: {
          status: {
            conditions: KUBELET_CONDITIONS.map((type) => ({ type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: new Date(sent).toISOString() })),
          },
        },
      },
      strategic,
    );
    let tainted = false;
    const back = await eventually(async () => {
      const n = await c.core.readNode({ name: node });
      tainted ||= unreachable(n).length > 0;
      expect(nodeCondition(n, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
      return n;
    }, 30_000, 100);
    const recoveredMs = Date.now() - sent;
    console.log(`node Ready=Unknown → Ready=True again: ${recoveredMs} ms after the controller-like patch (status update period 10 s)`);
    expect(recoveredMs).toBeLessThan(15_000);
    expect(nodeCondition(back, 'MemoryPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientMemory' });
    expect(nodeCondition(back, 'DiskPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasNoDiskPressure' });
    expect(nodeCondition(back, 'PIDPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientPID' });
    // A transition: its time is the kubelet's patch, not the registration.
    expect(new Date(nodeCondition(back, 'Ready')!.lastTransitionTime!).getTime()).toBeGreaterThanOrEqual(Math.floor(sent / 1000) * 1000);
    const events = await eventually(async () => {
      const list = (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${node},reason=NodeReady` })).items;
      expect(list.length).toBeGreaterThan(0);
      return list;
    });
    expect(events.at(-1)).toMatchObject({ type: 'Normal', message: `Node ${node} status is now: NodeReady`, involvedObject: { kind: 'Node', name: node } });
    // The controller lifts the unreachable taints it may have added meanwhile (and nothing is left
    // for the tests that follow).
    await eventually(async () => expect(unreachable(await c.core.readNode({ name: node }))).toEqual([]), 60_000, 500);
    console.log(`the controller had tainted the node unreachable meanwhile: ${tainted}`);
  });

  it('a pod the node-lifecycle controller marked Ready=False gets the kubelet\'s status back within the sync period (10 s); other owners\' conditions stay', async () => {
    const pod = await runningPod('notready', { requests: { cpu: '100m', memory: '64Mi' } });
    const name = pod.metadata!.name!;
    const ready = condition(pod, 'Ready')!;
    expect(ready.status).toBe('True');
    const sent = Date.now();
    // MarkPodsNotReady's write, with a reason; and a readiness-gate condition another component owns.
    await c.core.patchNamespacedPodStatus(
      {
        name,
        namespace: ns,
        body: {
          status: {
            conditions: [
              { type: 'Ready', status: 'False', reason: 'NodeNotReady', message: 'Node is not ready', lastTransitionTime: new Date(sent).toISOString() },
              { type: 'example.com/load-balancer', status: 'True', lastTransitionTime: new Date(sent).toISOString() },
            ],
          },
        },
      },
      strategic,
    );
    expect(condition(await read(name), 'Ready')).toMatchObject({ status: 'False', reason: 'NodeNotReady' });
    const back = await eventually(async () => {
      const p = await read(name);
      expect(condition(p, 'Ready')?.status).toBe('True');
      return p;
    }, 30_000, 100);
    const recoveredMs = Date.now() - sent;
    console.log(`pod Ready=False/NodeNotReady → the kubelet's Ready=True again: ${recoveredMs} ms after the controller-like patch (status sync period 10 s)`);
    expect(recoveredMs).toBeLessThan(15_000);
    // The kubelet's own condition, whole: no reason or message left, its transition time.
    const restored = condition(back, 'Ready')!;
    expect(restored.reason).toBeUndefined();
    expect(restored.message).toBeUndefined();
    expect(new Date(restored.lastTransitionTime!).getTime()).toBe(new Date(ready.lastTransitionTime!).getTime());
    expect(condition(back, 'example.com/load-balancer')).toMatchObject({ status: 'True' });
    expect(status0(back)).toMatchObject({ ready: true, restartCount: 0 });
    // Nothing differs any more: the next sync writes nothing.
    await new Promise((r) => setTimeout(r, 11_000));
    expect((await read(name)).metadata!.resourceVersion).toBe(back.metadata!.resourceVersion);
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
