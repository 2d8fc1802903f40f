// PodResizer against the real apiserver and the simulated kubelet: record first, then pods/resize;
// revert to the recorded originals; clear the record; every refusal as a typed outcome. Every
// assertion reads the pod back from the apiserver. Nodes here have 4 CPUs and 8Gi (global setup).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { PROFILE_ANNOTATION } from '../../hack/sim/profile.ts';
import { Annotation } from '../../src/api/constants.ts';
import { BASELINE_ANNOTATION, decodeRecord, type ContainerResources } from '../../src/core/pod-record.ts';
import { baselineOf, PodResizer, RECORD_ANNOTATIONS, resizeState, type ResizeTarget } from '../../src/kube/pod-resizer.ts';
import { sameQuantity } from '../../src/kube/resize-state.ts';
import { clients, eventually, freshNamespace, uniqueName, type Clients } from '../support/kube.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let c: Clients;
let ns: string;
let removeNs: () => Promise<void>;
let node0: string;
let resizer: PodResizer;

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  node0 = inject('nodeNames')[0]!;
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'resizer'));
  resizer = new PodResizer(c.core);
});
afterAll(async () => removeNs?.());

type Containers = Record<string, ContainerResources>;

/** Usage well under every size used here: no OOMKill or throttling interferes with the resizes. */
const QUIET = 'default: {cpu: {base: 10m}, memory: {base: 16Mi}}';

async function runningPod(prefix: string, containers: Containers, annotations?: Record<string, string>): Promise<V1Pod> {
  const name = uniqueName(prefix);
  await c.core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name, annotations: { [PROFILE_ANNOTATION]: QUIET, ...annotations } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node0 },
        terminationGracePeriodSeconds: 1,
        containers: Object.entries(containers).map(([n, resources]) => ({ name: n, image: 'registry.example/app:1', resources })),
      },
    },
  });
  return eventually(async () => {
    const p = await read(name);
    expect(p.status?.phase).toBe('Running');
    expect(resizeState(p).state).toBe('applied');
    return p;
  });
}

const read = (name: string) => c.core.readNamespacedPod({ name, namespace: ns });
const nameOf = (p: V1Pod) => p.metadata!.name!;
const spec = (p: V1Pod, container: string) => p.spec!.containers.find((x) => x.name === container)!.resources ?? {};
const statusResources = (p: V1Pod, container: string) => p.status!.containerStatuses!.find((x) => x.name === container)!.resources ?? {};
const recordKeys = (p: V1Pod) => Object.keys(p.metadata?.annotations ?? {}).filter((k) => RECORD_ANNOTATIONS.includes(k));
const cycle = (id: string) => ({ cycle: id, policy: `${ns}/web` });

/** By value, cpu and memory, requests and limits: "1000m" equals "1". */
function expectResources(actual: ContainerResources, expected: ContainerResources) {
  for (const kind of ['requests', 'limits'] as const) {
    for (const res of ['cpu', 'memory']) {
      const a = actual[kind]?.[res];
      const e = expected[kind]?.[res];
      expect(sameQuantity(a, e), `${kind}.${res}: ${a} vs ${e}`).toBe(true);
    }
  }
}

async function eventuallyState(name: string, state: string, target?: ResizeTarget): Promise<V1Pod> {
  return eventually(async () => {
    const p = await read(name);
    expect(resizeState(p, target).state).toBe(state);
    return p;
  }, 30_000);
}

const APP: ContainerResources = { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m', memory: '128Mi' } };
const SIDE: ContainerResources = { requests: { cpu: '50m', memory: '32Mi' } };

describe('resize: record first, then pods/resize', () => {
  it('records the originals, resizes in place, keeps the first originals within a cycle, reverts, clears', async () => {
    const pod = await runningPod('resize', { app: APP, side: SIDE });
    const name = nameOf(pod);

    // First resize of cycle c1: app only. The apiserver canonicalises "1000m" → "1", "1024Mi" → "1Gi".
    const first: ResizeTarget = [{ name: 'app', resources: { requests: { cpu: '1000m', memory: '96Mi' }, limits: { cpu: '2', memory: '1024Mi' } } }];
    const out1 = await resizer.resize(pod, { ...cycle('c1'), baseline: baselineOf(pod, new Date()) }, first);
    expect(out1.kind).toBe('Requested');

    const recorded = await read(name);
    const rec1 = decodeRecord(recorded.metadata!.annotations);
    expect(rec1).toMatchObject({ state: 'ok', record: { cycle: 'c1', policy: `${ns}/web`, originals: { app: APP }, baseline: { restarts: { app: 0, side: 0 } } } });
    expect(rec1.state === 'ok' && Object.keys(rec1.record.originals)).toEqual(['app']);
    expect(recorded.metadata!.generation).toBe(2);
    expectResources(spec(recorded, 'app'), first[0]!.resources);

    const applied1 = await eventuallyState(name, 'applied', first);
    expectResources(statusResources(applied1, 'app'), first[0]!.resources);
    expect(statusResources(applied1, 'app').requests!.cpu).toBe('1'); // canonical form, equal by value
    expectResources(statusResources(applied1, 'side'), SIDE);
    expect(applied1.status!.containerStatuses!.every((s) => s.restartCount === 0)).toBe(true);

    // Second resize of the same cycle: app again and, newly, side. app's originals stay the first
    // ones (not the size of the first resize); side's are its size now; the baseline is replaced.
    const second: ResizeTarget = [
      { name: 'app', resources: { requests: { cpu: '300m' }, limits: { cpu: '600m' } } },
      { name: 'side', resources: { requests: { cpu: '100m', memory: '48Mi' } } },
    ];
    const baseline2 = { at: '2026-01-01T00:00:00.000Z', restarts: { app: 0, side: 0 } };
    expect((await resizer.resize(applied1, { ...cycle('c1'), baseline: baseline2 }, second)).kind).toBe('Requested');
    const applied2 = await eventuallyState(name, 'applied', second);
    expect(decodeRecord(applied2.metadata!.annotations)).toEqual({ state: 'ok', record: { cycle: 'c1', policy: `${ns}/web`, originals: { app: APP, side: SIDE }, baseline: baseline2 } });
    expectResources(statusResources(applied2, 'app'), { requests: { cpu: '300m', memory: '96Mi' }, limits: { cpu: '600m', memory: '1Gi' } });
    expectResources(statusResources(applied2, 'side'), second[1]!.resources);

    // Revert: every recorded container back to its originals; the record stays until cleared.
    const reverted = await resizer.revert(applied2);
    expect(reverted.kind).toBe('Requested');
    const originals: ResizeTarget = [
      { name: 'app', resources: APP },
      { name: 'side', resources: SIDE },
    ];
    const back = await eventuallyState(name, 'applied', originals);
    expectResources(statusResources(back, 'app'), APP);
    expectResources(statusResources(back, 'side'), SIDE);
    expect(recordKeys(back).sort()).toEqual([...RECORD_ANNOTATIONS].sort());

    const cleared = await resizer.clearRecord(back);
    expect(cleared.kind).toBe('Cleared');
    const clean = await read(name);
    expect(recordKeys(clean)).toEqual([]);
    expect(decodeRecord(clean.metadata!.annotations)).toEqual({ state: 'none' });
    expect(await resizer.revert(clean)).toEqual({ kind: 'NothingToRevert' });
    expect(await resizer.clearRecord(clean)).toEqual({ kind: 'NothingToClear' });
  });

  it('a new cycle replaces the record: originals are the size the pod has now, a stale baseline is dropped', async () => {
    const pod = await runningPod('cycles', { app: APP });
    const name = nameOf(pod);
    const t1: ResizeTarget = [{ name: 'app', resources: { requests: { cpu: '300m' } } }];
    expect((await resizer.resize(pod, { ...cycle('c1'), baseline: baselineOf(pod, new Date()) }, t1)).kind).toBe('Requested');
    const p1 = await eventuallyState(name, 'applied', t1);

    const t2: ResizeTarget = [{ name: 'app', resources: { requests: { cpu: '250m' } } }];
    expect((await resizer.resize(p1, cycle('c2'), t2)).kind).toBe('Requested');
    const p2 = await eventuallyState(name, 'applied', t2);
    const rec = decodeRecord(p2.metadata!.annotations);
    expect(rec).toEqual({ state: 'ok', record: { cycle: 'c2', policy: `${ns}/web`, originals: { app: { ...APP, requests: { cpu: '300m', memory: '64Mi' } } } } });
    expect(p2.metadata!.annotations![BASELINE_ANNOTATION]).toBeUndefined();
  });
});

describe('a restarted operator and the record it finds', () => {
  it('killed between step 1 and step 2: the pod is unchanged; a new resizer reverts it with a request that changes nothing', async () => {
    const pod = await runningPod('killed', { app: APP });
    const name = nameOf(pod);
    const written = await new PodResizer(c.core).writeRecord(pod, cycle('c1'), ['app']);
    expect(written.kind).toBe('Recorded');

    const found = await read(name);
    expect(decodeRecord(found.metadata!.annotations)).toMatchObject({ state: 'ok', record: { cycle: 'c1', originals: { app: APP } } });
    expect(found.metadata!.generation).toBe(1);
    expectResources(spec(found, 'app'), APP);

    const restarted = new PodResizer(c.core);
    const out = await restarted.revert(found);
    expect(out.kind).toBe('Requested');
    const after = await eventuallyState(name, 'applied', [{ name: 'app', resources: APP }]);
    expect(after.metadata!.generation).toBe(1); // nothing changed: no new generation
    expectResources(spec(after, 'app'), APP);
    expectResources(statusResources(after, 'app'), APP);
    expect((await restarted.clearRecord(after)).kind).toBe('Cleared');
    expect(recordKeys(await read(name))).toEqual([]);
  });

  it('a damaged record: resize and revert refuse to touch the pod', async () => {
    const pod = await runningPod('damaged', { app: APP }, { [Annotation.originalResources]: '{not json', [Annotation.cycle]: 'c0' });
    const name = nameOf(pod);
    const out = await resizer.resize(pod, cycle('c1'), [{ name: 'app', resources: { requests: { cpu: '300m' } } }]);
    expect(out).toEqual({ kind: 'DamagedRecord', message: expect.stringMatching(/not JSON/) as unknown });
    expect(await resizer.revert(pod)).toMatchObject({ kind: 'DamagedRecord' });
    const after = await read(name);
    expect(after.metadata!.annotations![Annotation.originalResources]).toBe('{not json');
    expect(after.metadata!.generation).toBe(1);
    expectResources(spec(after, 'app'), APP);
  });
});

describe('refusals are typed outcomes, and the cluster shows what happened', () => {
  it('a stale resourceVersion → Conflict, and nothing is written', async () => {
    const pod = await runningPod('conflict', { app: APP });
    const name = nameOf(pod);
    await c.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);
    const out = await resizer.resize(pod, cycle('c1'), [{ name: 'app', resources: { requests: { cpu: '300m' } } }]);
    expect(out.kind).toBe('Conflict');
    const after = await read(name);
    expect(recordKeys(after)).toEqual([]);
    expect(after.metadata!.generation).toBe(1);
    expectResources(spec(after, 'app'), APP);

    // clearRecord is conditioned the same way.
    const written = await resizer.writeRecord(after, cycle('c1'), ['app']);
    expect(written.kind).toBe('Recorded');
    if (written.kind !== 'Recorded') return;
    await c.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels: { touched: 'again' } } } }, mergePatch);
    expect((await resizer.clearRecord(written.pod)).kind).toBe('Conflict');
    expect(recordKeys(await read(name)).length).toBe(RECORD_ANNOTATIONS.length - 1); // all but the baseline (none given)
  });

  it('a QoS-changing target → Rejected with the apiserver message; the record stays, the resources do not change', async () => {
    const guaranteed: ContainerResources = { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '250m', memory: '64Mi' } };
    const pod = await runningPod('qos', { app: guaranteed });
    const name = nameOf(pod);
    const out = await resizer.resize(pod, cycle('c1'), [{ name: 'app', resources: { requests: { cpu: '200m' }, limits: { cpu: '400m' } } }]);
    expect(out.kind).toBe('Rejected');
    expect(out.kind === 'Rejected' && out.message).toMatch(/Pod QOS Class may not change as a result of resizing/);

    const after = await read(name);
    expect(decodeRecord(after.metadata!.annotations)).toMatchObject({ state: 'ok', record: { originals: { app: guaranteed } } });
    expect(after.metadata!.generation).toBe(1);
    expectResources(spec(after, 'app'), guaranteed);
    expect(resizeState(after).state).toBe('applied');
    // The leftover record is harmless: reverting to it is a request that changes nothing.
    expect((await resizer.revert(after)).kind).toBe('Requested');
    expect((await read(name)).metadata!.generation).toBe(1);
  });

  it('a resize that adds a limit the pod did not have cannot be reverted in place: revert → Rejected', async () => {
    const pod = await runningPod('addlimit', { app: SIDE });
    const name = nameOf(pod);
    const target: ResizeTarget = [{ name: 'app', resources: { limits: { memory: '256Mi' } } }];
    expect((await resizer.resize(pod, cycle('c1'), target)).kind).toBe('Requested'); // adding a limit keeps Burstable: allowed
    const resized = await eventuallyState(name, 'applied', target);
    const out = await resizer.revert(resized);
    expect(out.kind).toBe('Rejected');
    expect(out.kind === 'Rejected' && out.message).toMatch(/resource limits cannot be removed/);
    const after = await read(name);
    expectResources(spec(after, 'app'), { ...SIDE, limits: { memory: '256Mi' } });
    expect(decodeRecord(after.metadata!.annotations)).toMatchObject({ state: 'ok', record: { originals: { app: SIDE } } });
  });

  it('a target the apiserver would refuse for its shape is refused before anything is written', async () => {
    const pod = await runningPod('shape', { app: APP });
    const name = nameOf(pod);
    for (const target of [
      [{ name: 'nope', resources: { requests: { cpu: '1' } } }],
      [{ name: 'app', resources: { requests: { 'ephemeral-storage': '1Gi' } } }],
      [{ name: 'app', resources: { requests: { cpu: 'lots' } } }],
      [],
    ] satisfies ResizeTarget[]) {
      expect((await resizer.resize(pod, cycle('c1'), target)).kind).toBe('Rejected');
    }
    expect(recordKeys(await read(name))).toEqual([]);
  });

  it('more CPU than the node has → Requested, then resizeState infeasible with the kubelet message; a revert makes it applied again', async () => {
    const pod = await runningPod('infeasible', { app: APP });
    const name = nameOf(pod);
    const target: ResizeTarget = [{ name: 'app', resources: { requests: { cpu: '5' }, limits: { cpu: '6' } } }];
    const out = await resizer.resize(pod, cycle('c1'), target);
    expect(out.kind).toBe('Requested');
    expect(out.kind === 'Requested' && resizeState(out.pod, target).state).toBe('in-progress'); // the kubelet has not seen it yet

    const p = await eventuallyState(name, 'infeasible', target);
    expect(resizeState(p, target).message).toBe("Node didn't have enough capacity: cpu, requested: 5000m, capacity: 4000m");
    expectResources(statusResources(p, 'app'), APP);

    expect((await resizer.revert(p)).kind).toBe('Requested');
    const back = await eventuallyState(name, 'applied', [{ name: 'app', resources: APP }]);
    expectResources(spec(back, 'app'), APP);
    expect(back.metadata!.generation).toBe(3);
  });

  it('a pod deleted meanwhile → Gone', async () => {
    const pod = await runningPod('gone', { app: APP });
    const name = nameOf(pod);
    await c.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
    await eventually(async () => expect(await read(name).catch(() => undefined)).toBeUndefined(), 20_000);
    expect((await resizer.resize(pod, cycle('c1'), [{ name: 'app', resources: { requests: { cpu: '300m' } } }])).kind).toBe('Gone');

    const withRecord: V1Pod = { ...pod, metadata: { ...pod.metadata, annotations: { [Annotation.originalResources]: JSON.stringify({ app: APP }), [Annotation.cycle]: 'c1' } } };
    expect((await resizer.revert(withRecord)).kind).toBe('Gone');
    expect((await resizer.clearRecord(withRecord)).kind).toBe('Gone');
  });

  it('no RBAC for pods/resize → Forbidden after the record was written; the record stays and the pod is unchanged', async () => {
    const sa = uniqueName('no-resize');
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    await c.rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: sa }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] }] },
    });
    await c.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: sa }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }] },
    });
    const token = (await c.core.createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { spec: { expirationSeconds: 600 } } })).status!.token;
    const admin = c.kc.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'local', server: admin.server, caData: admin.caData, caFile: admin.caFile }],
      users: [{ name: sa, token }],
      contexts: [{ name: sa, cluster: 'local', user: sa }],
      currentContext: sa,
    });
    const limited = new PodResizer(kc.makeApiClient(CoreV1Api));

    const pod = await runningPod('forbidden', { app: APP });
    const name = nameOf(pod);
    const out = await eventually(async () => {
      const o = await limited.resize(await read(name), cycle('c1'), [{ name: 'app', resources: { requests: { cpu: '300m' } } }]);
      // Step 1 (pods patch) is allowed, step 2 (pods/resize patch) is not. The authorizer may take a
      // moment to see the new binding (then step 1 is the one refused).
      expect(o.kind === 'Forbidden' && o.message).toMatch(/cannot patch resource "pods\/resize"/);
      return o;
    }, 15_000);
    expect(out.kind).toBe('Forbidden');
    const after = await read(name);
    expect(decodeRecord(after.metadata!.annotations)).toMatchObject({ state: 'ok', record: { originals: { app: APP } } });
    expect(after.metadata!.generation).toBe(1);
    expectResources(spec(after, 'app'), APP);
  });
});
