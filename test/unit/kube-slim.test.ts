// The informer transforms keep exactly what the operator reads: every reader gives the same answer
// for the slim object as for the full one — for raw watch JSON (string times) and for client-node's
// typed list objects (Date times) — and the slim objects are a fraction of the size.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeViewFrom, podAllocatedRequests, podViewFrom, zoneOf } from '../../src/core/canary/pod-view.ts';
import { decodeRecord } from '../../src/core/pod-record.ts';
import { generationFilter } from '../../src/controller/controller.ts';
import { resolveTargets, templateOf, type Workload, type WorkloadCache } from '../../src/controller/targets.ts';
import { withoutManagedFields } from '../../src/kube/informer.ts';
import { baselineOf, hasRecordAnnotations, recordFor, revertPatch, specResources, targetProblem } from '../../src/kube/resize-patches.ts';
import { resizeState } from '../../src/kube/resize-state.ts';
import { slimNode, slimPod, slimWorkload, type SlimNode, type SlimPod, type SlimWorkload } from '../../src/kube/slim.ts';
import type { ResizePolicySpec } from '../../src/api/spec.ts';
import { realisticDeployment, realisticNode, realisticPod, type PodOptions } from './fixtures/kube-objects.ts';

/** client-node's typed models carry Date objects where the JSON has RFC 3339 strings. */
function typed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(typed) as T;
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = typeof x === 'string' && /(Timestamp|Time|At)$/.test(k) && /^\d{4}-\d\d-\d\dT/.test(x) ? new Date(x) : typed(x);
  }
  return out as T;
}

const podCases: Array<[string, PodOptions]> = [
  ['running, with a record', { withRecord: true }],
  ['running, no record', {}],
  ['damaged record', { damagedRecord: true }],
  ['terminating', { deleting: true }],
  ['resize pending', { resizing: true, withRecord: true }],
  ['pending, no container statuses', { phase: 'Pending', noStatuses: true }],
  ['windows, pod-level resources, priority class, deadline', { windows: true, podLevelResources: true }],
  ['succeeded', { phase: 'Succeeded' }],
];
const forms = [
  ['raw JSON', (o: Record<string, unknown>) => o],
  ['typed', (o: Record<string, unknown>) => typed(o)],
] as const;

const zones: Record<string, string> = { 'node-1': 'zone-a', 'node-2': 'zone-b' };

describe('slimPod', () => {
  for (const [form, as] of forms) {
    for (const [what, o] of podCases) {
      it(`${form}, ${what}: every reader answers the same`, () => {
        const full = as(realisticPod(o)) as SlimPod;
        const slim = slimPod(full);
        expect(podViewFrom(slim, (n) => zones[n])).toEqual(podViewFrom(full, (n) => zones[n]));
        expect(podAllocatedRequests(slim)).toEqual(podAllocatedRequests(full));
        expect(resizeState(slim)).toEqual(resizeState(full));
        const target = [{ name: 'app', resources: { requests: { cpu: '300m' } } }];
        expect(resizeState(slim, target)).toEqual(resizeState(full, target));
        expect(decodeRecord(slim.metadata?.annotations)).toEqual(decodeRecord(full.metadata?.annotations));
        expect(hasRecordAnnotations(slim)).toBe(hasRecordAnnotations(full));
        expect(specResources(slim, 'app')).toEqual(specResources(full, 'app'));
        expect(targetProblem(slim, target)).toEqual(targetProblem(full, target));
        const intent = { cycle: 'c-0002', policy: 'shop/web' };
        expect(recordFor(slim, intent, ['app'])).toEqual(recordFor(full, intent, ['app']));
        const originals = { app: { requests: { cpu: '500m' } } };
        expect(revertPatch(slim, originals)).toEqual(revertPatch(full, originals));
        expect(baselineOf(slim, new Date(0))).toEqual(baselineOf(full, new Date(0)));
        // What resourceVersion preconditions, owner lookups and events (involvedObject) read.
        for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'labels', 'ownerReferences'] as const) {
          expect(slim.metadata?.[k]).toEqual(full.metadata?.[k]);
        }
        expect([slim.apiVersion, slim.kind]).toEqual(['v1', 'Pod']);
      });
    }
  }

  it('keeps only attune.dev/ annotations, drops managedFields, env, volumes, probes, images', () => {
    const full = realisticPod({ withRecord: true }) as SlimPod;
    const slim = slimPod(full);
    expect(Object.keys(slim.metadata?.annotations ?? {}).sort()).toEqual(['attune.dev/baseline', 'attune.dev/cycle', 'attune.dev/original-resources', 'attune.dev/policy']);
    expect(slimPod(realisticPod() as SlimPod).metadata).not.toHaveProperty('annotations');
    const text = JSON.stringify(slim);
    for (const gone of ['managedFields', 'env', 'volumes', 'volumeMounts', 'livenessProbe', 'image', 'imageID', 'podIP', 'tolerations', 'prometheus.io', 'claims', 'lastProbeTime', 'containerID', 'initContainerStatuses', 'finalizers']) {
      expect(text).not.toContain(`"${gone}`);
    }
    expect(slim.spec?.containers.map((c) => c.name)).toEqual(['app', 'worker']);
    expect(slim.spec?.containers[0]).toEqual(
      {
        name: 'app',
        resources: { requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' }, limits: { memory: '512Mi' } },
        resizePolicy: [
          { resourceName: 'cpu', restartPolicy: 'NotRequired' },
          { resourceName: 'memory', restartPolicy: 'RestartContainer' },
        ],
      },
    );
    expect(slim.spec?.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([['migrate', undefined], ['proxy', 'Always']]);
    expect(slim.status?.containerStatuses?.[0]).toEqual({
      name: 'app',
      ready: true,
      restartCount: 2,
      allocatedResources: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      state: { running: { startedAt: '2026-11-20T10:00:06Z' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-11-20T09:00:00Z', finishedAt: '2026-11-20T10:00:05Z' } },
    });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(full).length / 4);
  });

  it('is idempotent, and a slim pod is still a pod to the type system', () => {
    const slim = slimPod(realisticPod({ withRecord: true, resizing: true }));
    expect(slimPod(slim)).toEqual(slim);
    // Compile-time: a client-node V1Pod (a typed list item) is a SlimPod, so an informer of
    // SlimPod accepts `(p) => core.listPodForAllNamespaces(p)`; the workload transform fits the
    // controller's Workload informer as is.
    const typedPod = (p: V1Pod): SlimPod => p;
    const workloadTransform: (w: Workload) => Workload = slimWorkload;
    const workloadIn = (w: Workload): SlimWorkload => w;
    expect([typedPod, workloadTransform, workloadIn]).toHaveLength(3);
  });
});

describe('slimNode', () => {
  for (const [form, as] of forms) {
    it(`${form}: nodeViewFrom and zoneOf answer the same`, () => {
      const node = as(realisticNode('node-1', 'zone-a')) as SlimNode;
      const pods = [realisticPod({ name: 'a' }), realisticPod({ name: 'b', podLevelResources: true }), realisticPod({ name: 'c', phase: 'Succeeded' }), realisticPod({ name: 'd', node: 'node-2' })].map((p) => as(p) as SlimPod);
      const slim = slimNode(node);
      expect(nodeViewFrom(slim, pods.map(slimPod))).toEqual(nodeViewFrom(node, pods));
      expect(zoneOf(slim)).toBe('zone-a');
      expect(zoneOf(slim)).toBe(zoneOf(node));
      expect(slim).toEqual({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-1', uid: 'uid-node-1', resourceVersion: '9001', labels: node.metadata!.labels },
        status: { allocatable: { cpu: '3920m', memory: '15Gi', pods: '110', 'ephemeral-storage': '95Gi' } },
      });
      expect(slimNode(slim)).toEqual(slim);
    });
  }
});

describe('slimWorkload', () => {
  const spec = (s: Partial<ResizePolicySpec>) => s as ResizePolicySpec;
  for (const [form, as] of forms) {
    it(`${form}: templateOf, resolveTargets and the generation filter answer the same`, () => {
      const full = as(realisticDeployment('web')) as Workload;
      const slim: Workload = slimWorkload(full);
      expect(templateOf('Deployment', slim)).toEqual(templateOf('Deployment', full));
      const owned = as({ ...realisticDeployment('web-rs'), kind: 'ReplicaSet', metadata: { ...(realisticDeployment('web-rs').metadata as object), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] } }) as Workload;
      const cacheOf = (t: (w: Workload) => Workload): WorkloadCache => ({
        get: (kind, _ns, name) => (kind === 'Deployment' && name === 'web' ? t(full) : undefined),
        list: (kind) => (kind === 'Deployment' ? [t(full)] : kind === 'ReplicaSet' ? [t(owned)] : []),
      });
      for (const s of [spec({ targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }), spec({ selector: { matchLabels: { team: 'checkout' } } }), spec({ selector: { matchLabels: { team: 'other' } } })]) {
        expect(resolveTargets(s, 'shop', cacheOf(slimWorkload))).toEqual(resolveTargets(s, 'shop', cacheOf((w) => w)));
      }
      const f = generationFilter();
      expect([f(full), f(slim)]).toEqual([true, false]);
      expect(slim.metadata).toMatchObject({ name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '777', generation: 5 });
      expect(Object.keys(slim.metadata!).sort()).toEqual(['generation', 'labels', 'name', 'namespace', 'resourceVersion', 'uid']);
      expect(slim.spec).toEqual({
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'app', resources: { requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' }, limits: { memory: '512Mi' } } },
              { name: 'worker', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } } },
            ],
          },
        },
      });
      expect([slim.apiVersion, slim.kind]).toEqual(['apps/v1', 'Deployment']);
      expect(slimWorkload(slim)).toEqual(slim);
      expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(full).length / 10);
    });
  }
});

describe('withoutManagedFields (the informer default)', () => {
  it('drops metadata.managedFields only, and returns objects without any as they are', () => {
    const pod = realisticPod() as unknown as SlimPod & { metadata: { managedFields?: unknown } };
    const out = withoutManagedFields(pod);
    expect(out.metadata).not.toHaveProperty('managedFields');
    const { managedFields: _m, ...rest } = pod.metadata;
    expect(out).toEqual({ ...pod, metadata: rest });
    expect(pod.metadata.managedFields).toBeDefined(); // the input is not changed
    expect(withoutManagedFields(out)).toBe(out);
  });
});
