// The operator never crashes on any object. Policies are stored under a permissive "older" CRD
// schema (as if written by an earlier release), then the current CRD is applied — stored objects
// are not re-validated — and the operator starts: each bad policy gets InvalidSpec=True naming the
// field, the operator keeps running, and policies created afterwards are still served. Also: a
// missing credentials Secret is a MetricsAvailable=False condition, not a crash.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../hack/cluster/binaries.ts';
import { startCluster, type LocalCluster } from '../../hack/cluster/cluster.ts';
import { applyManifests } from '../../hack/cluster/local-env.ts';
import { freePorts } from '../../hack/cluster/ports.ts';
import { GROUP, KIND, PLURAL, SINGULAR, VERSION } from '../../src/api/constants.ts';
import { clients, eventually, type Clients } from '../support/kube.ts';
import { condition as cond, policies, startOperator, type RunningOperator } from '../support/operator.ts';

const NS = 'default';
let cluster: LocalCluster;
let runDir: string;
let operator: RunningOperator;
let c: Clients;
let rsp: ReturnType<typeof policies>;

const T = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
/** Stored spec → the field the InvalidSpec message must name. */
const BAD: Record<string, [unknown, string]> = {
  'zero-percentile': [{ targetRef: T, cpu: { percentile: 0 } }, 'spec.cpu.percentile'],
  'bad-quantity': [{ targetRef: T, memory: { minAllowed: 'lots' } }, 'spec.memory.minAllowed'],
  'string-target': [{ targetRef: 'web' }, 'spec.targetRef'],
  'no-target': [{}, 'spec.targetRef'],
  'unknown-mode': [{ targetRef: T, updateStrategy: { type: 'Yolo' } }, 'spec.updateStrategy.type'],
  'wrong-types': [{ targetRef: T, cpu: 'fast', memory: [1, 2], metrics: { historyWindow: 7 } }, 'spec.cpu'],
  'deep-garbage': [{ targetRef: T, containers: { include: [{ a: { b: { c: null } } }] } }, 'spec.containers.include'],
};

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'attune-e2e-robust-'));
  cluster = await startCluster({ runDir, removeOnStop: true });
  c = clients(cluster.kubeconfig);
  rsp = policies(c.kc, NS);
  const ext = c.kc.makeApiClient(ApiextensionsV1Api);
  const established = async () =>
    eventually(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
      expect(crd.status?.conditions?.find((x) => x.type === 'Established')?.status).toBe('True');
    });

  // An "older" schema that accepted anything.
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name: `${PLURAL}.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { kind: KIND, plural: PLURAL, singular: SINGULAR, listKind: `${KIND}List` },
        versions: [
          {
            name: VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            // client-node's typed name for x-kubernetes-preserve-unknown-fields (its serializer drops the raw key).
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true }, status: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } } },
          },
        ],
      },
    },
  });
  await established();
  for (const [name, [spec]] of Object.entries(BAD)) await createPolicy(name, spec);

  // The current CRD: stored objects stay as they were.
  await applyManifests(cluster.kubeconfig, join(REPO_ROOT, 'crds', 'attune.dev_resizepolicies.yaml'));
  await established();
  await c.apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1' } } }] } } },
    },
  });

  const [closedPort] = await freePorts(1);
  operator = await startOperator(['--kubeconfig', cluster.kubeconfig, '--prometheus-url', `http://127.0.0.1:${closedPort!}`, '--refresh', '3s', '--query-timeout', '1s']);
}, 300_000);

afterAll(async () => {
  operator?.stop();
  await cluster?.stop();
  await rm(runDir, { recursive: true, force: true });
});

const createPolicy = (name: string, spec: unknown) => rsp.create(name, spec);
const statusOf = (name: string) => rsp.status(name);

const warnings = async (name: string) =>
  (await c.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name},involvedObject.kind=${KIND}` })).items.filter((e) => e.type === 'Warning');

it.each(Object.keys(BAD))('policy "%s" stored under an older schema: a Warning event names the field', async (name) => {
  const ev = await eventually(async () => {
    const e = (await warnings(name)).find((x) => x.reason === 'InvalidSpec');
    expect(e).toBeDefined();
    return e!;
  }, 30_000);
  expect(ev.message).toContain(BAD[name]![1]);
});

// Where the stored spec only breaks value rules, the status can be written: InvalidSpec=True.
// Where it has the wrong types, the apiserver refuses every write to the object; the operator
// says so in an event and does not retry in a loop.
it.each(['zero-percentile', 'bad-quantity', 'no-target', 'unknown-mode', 'deep-garbage'])('policy "%s": InvalidSpec=True in status', async (name) => {
  const s = await eventually(async () => {
    const st = await statusOf(name);
    expect(cond(st, 'InvalidSpec')).toMatchObject({ status: 'True', reason: 'ValidationFailed' });
    return st;
  }, 30_000);
  expect(cond(s, 'InvalidSpec')!.message).toContain(BAD[name]![1]);
  expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
});

it.each(['string-target', 'wrong-types'])('policy "%s": the rejected status write is an event, not a retry loop', async (name) => {
  await eventually(async () => expect((await warnings(name)).map((e) => e.reason)).toContain('StatusRejected'), 30_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const attempts = operator.log().split('\n').filter((l) => l.includes(`"policy":"default/${name}"`) && l.includes('status cannot be written')).length;
  expect(attempts).toBeLessThanOrEqual(3); // initial pass + resyncs, not a backoff loop
});

it('keeps running and serves policies created afterwards; a missing Secret is a condition', async () => {
  await createPolicy('needs-secret', {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    metrics: { prometheus: { url: 'http://127.0.0.1:1', bearerTokenSecretRef: { name: 'prom-token', key: 'token' } } },
  });
  const s = await eventually(async () => {
    const st = await statusOf('needs-secret');
    expect(cond(st, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    return st;
  }, 30_000);
  expect(cond(s, 'MetricsAvailable')!.message).toContain('prom-token');
  expect(operator.process.exitCode).toBeNull();
  expect(operator.log()).not.toMatch(/unhandled rejection/);
});
