// The generated ResizePolicy CRD in a real kube-apiserver 1.35: it installs (structural schema,
// CEL rules within cost limits), rejects bad specs with a message naming the field, applies the
// documented defaults, serves the status subresource and prints the kubectl columns. Every bad
// spec is also run through parseResizePolicy, so the apiserver and the runtime validator cannot
// drift apart: both must reject it, naming the same field.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  loadYaml,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { resolveBinaries } from '../../hack/cluster/binaries.ts';
import { CRD_NAME, GROUP, KIND, PLURAL, VERSION, API_VERSION } from '../../src/api/constants.ts';
import { CRD_FILE } from '../../src/api/crd.ts';
import { parseResizePolicy } from '../../src/api/resize-policy.ts';
import { apiError, clients, eventually, freshNamespace, httpStatus, uniqueName, type Clients } from '../support/kube.ts';

const run = promisify(execFile);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let c: Clients;
let ext: ApiextensionsV1Api;
let custom: CustomObjectsApi;
let ns: string;
let removeNs: () => Promise<void>;

type Spec = Record<string, unknown>;

/**
 * Installs the committed CRD (replacing one another test file installed) and waits until it is served.
 * loadYaml, not a plain YAML parse: client-node serializes typed models by their TypeScript field
 * names (_default, _enum, xKubernetesValidations), so a raw object would silently lose defaults,
 * enums and CEL rules on the way to the apiserver.
 */
async function installCrd(): Promise<V1CustomResourceDefinition> {
  const crd = loadYaml<V1CustomResourceDefinition>(await readFile(new URL(`../../${CRD_FILE}`, import.meta.url), 'utf8'));
  try {
    await ext.createCustomResourceDefinition({ body: crd });
  } catch (e) {
    if (httpStatus(e) !== 409) throw e;
    const existing = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    await ext.replaceCustomResourceDefinition({ name: CRD_NAME, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata!.resourceVersion! } } });
  }
  const installed = await eventually(async () => {
    const got = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    expect(got.status?.conditions?.find((x) => x.type === 'Established')?.status).toBe('True');
    return got;
  });
  await eventually(() => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL }));
  return installed;
}

const body = (name: string, spec: unknown) => ({ apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec });
const create = (name: string, spec: unknown) =>
  custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: body(name, spec) }) as Promise<Record<string, unknown>>;
const read = (name: string) =>
  custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name }) as Promise<Record<string, unknown>>;

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  ext = c.kc.makeApiClient(ApiextensionsV1Api);
  custom = c.kc.makeApiClient(CustomObjectsApi);
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'rsp'));
  await installCrd();
});
afterAll(async () => removeNs?.());

const target = { targetRef: { kind: 'Deployment', name: 'web' } };
/** A valid base every bad case changes in one place. */
const base = (patch: Spec): Spec => ({ ...target, ...patch });

/** What the apiserver stores for `{targetRef: {kind: Deployment, name: web}}`: every default of docs/api.md. */
const DEFAULTED_MINIMAL = {
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
  cpu: { percentile: 95, overhead: 15, maxChangePercent: 50, minChangePercent: 10, controlledValues: 'RequestsAndLimits' },
  memory: { percentile: 99, overhead: 15, maxChangePercent: 30, minChangePercent: 10, controlledValues: 'RequestsAndLimits' },
  metrics: { historyWindow: '7d', step: '5m', minimumData: { samples: 100, span: '24h' } },
  updateStrategy: {
    type: 'Recommend',
    canary: { percentage: 10, observationPeriod: '30m', autoPromote: false },
    cooldown: '2h',
    autoRevert: true,
    restartThreshold: 1,
    notReadyGrace: '2m',
  },
  onMetricUnavailable: 'revert',
};

const prom = (p: Spec) => base({ metrics: { prometheus: { url: 'http://prometheus.monitoring:9090', ...p } } });
const canary = (p: Spec) => base({ updateStrategy: { type: 'Canary', canary: p } });

/** [case, spec, field the apiserver and the runtime must name]. */
const INVALID: [string, Spec, string][] = [
  ['canary percentage 0', canary({ percentage: 0 }), 'spec.updateStrategy.canary.percentage'],
  ['canary percentage 101', canary({ percentage: 101 }), 'spec.updateStrategy.canary.percentage'],
  ['canary percentage not an integer', canary({ percentage: 12.5 }), 'spec.updateStrategy.canary.percentage'],
  ['cpu minAllowed > maxAllowed', base({ cpu: { minAllowed: '2', maxAllowed: '500m' } }), 'spec.cpu.maxAllowed'],
  ['memory minAllowed > maxAllowed', base({ memory: { minAllowed: '1Gi', maxAllowed: '512Mi' } }), 'spec.memory.maxAllowed'],
  ['malformed quantity 1.2.3', base({ cpu: { minAllowed: '1.2.3' } }), 'spec.cpu.minAllowed'],
  ['quantity with a space', base({ memory: { maxAllowed: '10 Mi' } }), 'spec.memory.maxAllowed'],
  ['unknown quantity suffix', base({ cpu: { maxAllowed: '1Qi' } }), 'spec.cpu.maxAllowed'],
  ['negative quantity', base({ cpu: { minAllowed: '-1' } }), 'spec.cpu.minAllowed'],
  ['memory in millibytes', base({ memory: { minAllowed: '100m' } }), 'spec.memory.minAllowed'],
  ['memory with a negative exponent', base({ memory: { maxAllowed: '5e-3' } }), 'spec.memory.maxAllowed'],
  ['malformed duration', canary({ observationPeriod: '30 minutes' }), 'spec.updateStrategy.canary.observationPeriod'],
  ['fractional duration', base({ updateStrategy: { cooldown: '1.5h' } }), 'spec.updateStrategy.cooldown'],
  ['duration units out of order', base({ metrics: { historyWindow: '30m1h' } }), 'spec.metrics.historyWindow'],
  ['negative duration', base({ updateStrategy: { notReadyGrace: '-2m' } }), 'spec.updateStrategy.notReadyGrace'],
  ['zero step', base({ metrics: { step: '0s' } }), 'spec.metrics.step'],
  ['zero history window', base({ metrics: { historyWindow: '0' } }), 'spec.metrics.historyWindow'],
  ['unknown workload kind', { targetRef: { kind: 'CronJob', name: 'web' } }, 'spec.targetRef.kind'],
  ['wrong targetRef apiVersion', { targetRef: { apiVersion: 'apps/v1beta1', kind: 'Deployment', name: 'web' } }, 'spec.targetRef.apiVersion'],
  ['targetRef without name', { targetRef: { kind: 'Deployment' } }, 'spec.targetRef.name'],
  ['invalid workload name', { targetRef: { kind: 'Deployment', name: 'My_App' } }, 'spec.targetRef.name'],
  ['both targetRef and selector', base({ selector: { matchLabels: { app: 'web' } } }), 'spec'],
  ['neither targetRef nor selector', { cpu: { percentile: 90 } }, 'spec'],
  ['negative overhead', base({ cpu: { overhead: -1 } }), 'spec.cpu.overhead'],
  ['percentile 0', base({ cpu: { percentile: 0 } }), 'spec.cpu.percentile'],
  ['percentile 101', base({ memory: { percentile: 101 } }), 'spec.memory.percentile'],
  ['percentile as a string', base({ cpu: { percentile: '95' } }), 'spec.cpu.percentile'],
  ['maxChangePercent 0', base({ cpu: { maxChangePercent: 0 } }), 'spec.cpu.maxChangePercent'],
  ['maxChangePercent 101', base({ memory: { maxChangePercent: 101 } }), 'spec.memory.maxChangePercent'],
  ['minChangePercent > maxChangePercent', base({ cpu: { minChangePercent: 60, maxChangePercent: 50 } }), 'spec.cpu.minChangePercent'],
  ['minChangePercent > defaulted maxChangePercent', base({ memory: { minChangePercent: 40 } }), 'spec.memory.minChangePercent'],
  ['bad controlledValues', base({ cpu: { controlledValues: 'LimitsOnly' } }), 'spec.cpu.controlledValues'],
  ['bad updateStrategy.type', base({ updateStrategy: { type: 'Rolling' } }), 'spec.updateStrategy.type'],
  ['bad onMetricUnavailable', base({ onMetricUnavailable: 'ignore' }), 'spec.onMetricUnavailable'],
  ['restartThreshold 0', base({ updateStrategy: { restartThreshold: 0 } }), 'spec.updateStrategy.restartThreshold'],
  ['autoPromote not a boolean', canary({ autoPromote: 'yes' }), 'spec.updateStrategy.canary.autoPromote'],
  ['prometheus url with ftp scheme', prom({ url: 'ftp://prometheus:9090' }), 'spec.metrics.prometheus.url'],
  ['prometheus url without scheme', prom({ url: 'prometheus.monitoring:9090' }), 'spec.metrics.prometheus.url'],
  ['prometheus without url', base({ metrics: { prometheus: { insecureSkipVerify: true } } }), 'spec.metrics.prometheus.url'],
  ['both CA references', prom({ caSecretRef: { name: 'ca', key: 'ca.crt' }, caConfigMapRef: { name: 'ca', key: 'ca.crt' } }), 'spec.metrics.prometheus.caConfigMapRef'],
  ['insecureSkipVerify with a CA', prom({ insecureSkipVerify: true, caSecretRef: { name: 'ca', key: 'ca.crt' } }), 'spec.metrics.prometheus.insecureSkipVerify'],
  ['Authorization header', prom({ headers: { Authorization: 'Bearer x' } }), 'spec.metrics.prometheus.headers'],
  ['bearer token ref without key', prom({ bearerTokenSecretRef: { name: 'token' } }), 'spec.metrics.prometheus.bearerTokenSecretRef.key'],
  ['minimumData.samples 0', base({ metrics: { minimumData: { samples: 0 } } }), 'spec.metrics.minimumData.samples'],
  ['unknown PromQL placeholder', base({ metrics: { query: { cpu: 'rate(x{pod="{{pod}}"}[5m])' } } }), 'spec.metrics.query.cpu'],
  ['container both included and excluded', base({ containers: { include: ['app'], exclude: ['app'] } }), 'spec.containers.exclude'],
  ['duplicate included container', base({ containers: { include: ['app', 'app'] } }), 'spec.containers.include'],
  ['invalid container name', base({ containers: { exclude: ['App_1'] } }), 'spec.containers.exclude'],
  ['In requirement without values', { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }, 'spec.selector.matchExpressions[0].values'],
  ['Exists requirement with values', { selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } }, 'spec.selector.matchExpressions[0].values'],
  ['bad selector operator', { selector: { matchExpressions: [{ key: 'app', operator: 'Has' }] } }, 'spec.selector.matchExpressions[0].operator'],
];

interface StatusBody {
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

describe('the apiserver rejects invalid specs, naming the field', () => {
  it('has at least 30 cases', () => expect(INVALID.length).toBeGreaterThanOrEqual(30));

  it.each(INVALID)('%s', async (_case, spec, field) => {
    const name = uniqueName('bad');
    const { status, body: text } = await apiError(() => create(name, spec));
    expect(status).toBe(422);
    const st = JSON.parse(text) as StatusBody;
    // The field appears in the message and, exactly or as a prefix of an element path, in a cause.
    expect(st.message).toContain(field);
    const fields = (st.details?.causes ?? []).map((x) => x.field ?? '');
    expect(fields.some((f) => f === field || f.startsWith(`${field}[`) || f.startsWith(`${field}.`))).toBe(true);
    expect(httpStatus(await read(name).catch((e: unknown) => e))).toBe(404);

    // The runtime validator agrees and names the same field.
    const parsed = parseResizePolicy(body(name, spec));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.some((e) => e.startsWith(`${field}:`) || e.startsWith(`${field}[`) || e.startsWith(`${field}.`)), parsed.errors.join('\n')).toBe(true);
  });

  it('nothing was created by the rejected requests', async () => {
    const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as { items: unknown[] };
    expect(list.items.filter((o) => String((o as { metadata: { name: string } }).metadata.name).startsWith('bad-'))).toEqual([]);
  });
});

describe('valid specs are accepted with the documented defaults', () => {
  it('a minimal policy gets every default, the same ones parseResizePolicy applies', async () => {
    const name = uniqueName('minimal');
    await create(name, target);
    const stored = await read(name);
    expect(stored.spec).toEqual(DEFAULTED_MINIMAL);
    const parsed = parseResizePolicy(body(name, target));
    expect(parsed.ok && parsed.policy.spec).toEqual(DEFAULTED_MINIMAL);
    // The stored object parses to itself.
    const reparsed = parseResizePolicy(stored);
    expect(reparsed.ok && reparsed.policy.spec).toEqual(stored.spec);
  });

  it("the seed's canary example keeps its values and gets the rest defaulted", async () => {
    const seed = {
      ...target,
      cpu: { maxChangePercent: 50 },
      memory: { maxChangePercent: 30 },
      updateStrategy: { type: 'Canary', canary: { percentage: 10, observationPeriod: '30m', autoPromote: true }, cooldown: '2h', autoRevert: true },
    };
    const name = uniqueName('seed');
    await create(name, seed);
    const stored = (await read(name)).spec as typeof DEFAULTED_MINIMAL;
    expect(stored.updateStrategy).toEqual({ ...DEFAULTED_MINIMAL.updateStrategy, type: 'Canary', canary: { percentage: 10, observationPeriod: '30m', autoPromote: true } });
    expect(stored.cpu).toEqual(DEFAULTED_MINIMAL.cpu);
    expect(stored.memory).toEqual(DEFAULTED_MINIMAL.memory);
    const parsed = parseResizePolicy(body(name, seed));
    expect(parsed.ok && parsed.policy.spec).toEqual(stored);
  });

  it('a policy using every field is stored as written plus defaults, and parses to the same spec', async () => {
    const full = {
      selector: { matchLabels: { 'app.kubernetes.io/part-of': 'shop' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'legacy', operator: 'DoesNotExist' }] },
      containers: { include: ['app', 'istio-proxy'], exclude: ['debug'] },
      cpu: { percentile: 99.9, overhead: 0, minAllowed: '50m', maxAllowed: '4', maxChangePercent: 25, minChangePercent: 25, controlledValues: 'RequestsOnly' },
      memory: { percentile: 100, overhead: 20.5, minAllowed: '64Mi', maxAllowed: '8Gi', maxChangePercent: 100, minChangePercent: 0 },
      metrics: {
        prometheus: {
          url: 'https://mimir.monitoring.svc:8080/prometheus',
          bearerTokenSecretRef: { name: 'prom-token', key: 'token' },
          caConfigMapRef: { name: 'prom-ca', key: 'ca.crt' },
          headers: { 'X-Scope-OrgID': 'team-a' },
        },
        historyWindow: '14d',
        step: '1m',
        minimumData: { samples: 500, span: '3d' },
        query: {
          cpu: 'sum by (pod, container) (rate(container_cpu_usage_seconds_total{namespace="{{namespace}}", pod=~"{{workload}}-.*"}[{{step}}]))',
          memory: 'max by (pod, container) (container_memory_working_set_bytes{namespace="{{namespace}}", pod=~"{{workload}}-.*"})',
        },
      },
      updateStrategy: { type: 'Auto', canary: { percentage: 100, observationPeriod: '0s', autoPromote: true }, cooldown: '1h30m', autoRevert: false, restartThreshold: 3, notReadyGrace: '500ms' },
      onMetricUnavailable: 'pause',
    };
    const name = uniqueName('full');
    await create(name, full);
    const stored = (await read(name)).spec as Spec;
    const parsed = parseResizePolicy(body(name, full));
    expect(parsed.ok && parsed.policy.spec).toEqual(stored);
    expect(stored).toMatchObject(full);
    expect((stored.metrics as { prometheus: Spec }).prometheus.insecureSkipVerify).toBe(false);
    expect((stored.memory as Spec).controlledValues).toBe('RequestsAndLimits');
  });

  it.each([
    ['exponent and signed quantities', base({ cpu: { minAllowed: '+.5', maxAllowed: '1e3' }, memory: { minAllowed: '1.5Gi', maxAllowed: '2e9' } })],
    ['equal bounds', base({ cpu: { minAllowed: '1', maxAllowed: '1000m' }, memory: { minAllowed: '1Gi', maxAllowed: '1024Mi' } })],
    ['an empty selector (every workload)', { selector: {} }],
    ['StatefulSet, DaemonSet and ReplicaSet targets', { targetRef: { kind: 'StatefulSet', name: 'db-0.x' } }],
    ['zero cooldown and observation', base({ updateStrategy: { cooldown: '0', canary: { observationPeriod: '0s' } } })],
    ['a Prometheus with only a URL', prom({})],
  ])('accepts %s', async (_case, spec) => {
    const name = uniqueName('ok');
    await create(name, spec);
    const parsed = parseResizePolicy(body(name, spec));
    expect(parsed.ok && parsed.policy.spec).toEqual((await read(name)).spec);
  });
});

describe('rules only the controller can check (documented in docs/api.md)', () => {
  it.each<[string, Spec, string]>([
    ['history window shorter than the minimum span', base({ metrics: { historyWindow: '12h' } }), 'spec.metrics.minimumData.span'],
    ['step longer than the history window', base({ metrics: { historyWindow: '1h', step: '2h', minimumData: { span: '1h' } } }), 'spec.metrics.step'],
    ['an Authorization header in capitals', prom({ headers: { AUTHORIZATION: 'Bearer x' } }), 'spec.metrics.prometheus.headers'],
  ])('%s: the apiserver stores it, parseResizePolicy rejects it naming the field', async (_case, spec, field) => {
    const name = uniqueName('runtime');
    await create(name, spec);
    const parsed = parseResizePolicy(await read(name));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.some((e) => e.startsWith(`${field}:`)), parsed.errors.join('\n')).toBe(true);
  });
});

describe('status subresource and printer columns', () => {
  const status = {
    observedGeneration: 1,
    conditions: [{ type: 'Ready', status: 'True', reason: 'RecommendationsPublished', message: 'ok', lastTransitionTime: '2026-01-02T03:04:05Z', observedGeneration: 1 }],
    workloads: [
      {
        kind: 'Deployment',
        name: 'web',
        containers: [
          {
            name: 'app',
            current: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1' } },
            recommended: { requests: { cpu: '250m', memory: '192Mi' }, limits: { cpu: '500m' } },
            explanation: [{ resource: 'cpu', step: 'percentile', value: '210m', note: 'p95 over 7d' }],
            confidence: 0.9,
            dataPoints: 2016,
            lastUpdated: '2026-01-02T03:04:05Z',
            stale: false,
          },
        ],
      },
    ],
    canary: { phase: 'CanaryInProgress', pods: ['web-a', 'web-b'], podCount: 2, startTime: '2026-01-02T03:04:05Z', observationEnd: '2026-01-02T03:34:05Z' },
    resizeHistory: [{ time: '2026-01-02T03:04:05Z', pod: 'web-a', container: 'app', from: { requests: { cpu: '500m' } }, to: { requests: { cpu: '250m' } }, result: 'Reverted', reason: 'oomkill' }],
  };

  it('status is written only through the subresource, leaves generation alone, and parses', async () => {
    const name = uniqueName('status');
    const created = await create(name, { ...target, updateStrategy: { type: 'Canary' } });
    expect((created.metadata as { generation: number }).generation).toBe(1);

    // Through the main resource, status is ignored.
    await custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { status } }, mergePatch);
    expect((await read(name)).status).toBeUndefined();

    await custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { status } }, mergePatch);
    const stored = await read(name);
    expect(stored.status).toEqual(status);
    expect((stored.metadata as { generation: number }).generation).toBe(1);
    const parsed = parseResizePolicy(stored);
    expect(parsed.ok && parsed.policy.status).toEqual(status);
    expect(parsed.ok && parsed.warnings).toEqual([]);

    // The status schema is validated too: podCount must match pods.
    const bad = await apiError(() =>
      custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { status: { canary: { podCount: 3 } } } }, mergePatch),
    );
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('status.canary.podCount');
  });

  it('the CRD declares the printer columns, and `kubectl get rsp` prints them', async () => {
    const crd = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    const cols = crd.spec.versions[0]!.additionalPrinterColumns!.map((x) => [x.name, x.jsonPath]);
    expect(cols).toEqual([
      ['Mode', '.spec.updateStrategy.type'],
      ['Target', '.spec.targetRef.name'],
      ['Phase', '.status.canary.phase'],
      ['Canary', '.status.canary.podCount'],
      ['Age', '.metadata.creationTimestamp'],
    ]);

    const name = uniqueName('print');
    await create(name, { ...target, updateStrategy: { type: 'Canary' } });
    await custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { status } }, mergePatch);
    const { kubectl } = resolveBinaries();
    const { stdout } = await run(kubectl, ['--kubeconfig', inject('kubeconfig'), '-n', ns, 'get', 'rsp', name]);
    const [header, row] = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'MODE', 'TARGET', 'PHASE', 'CANARY', 'AGE']);
    expect(row!.slice(0, 5)).toEqual([name, 'Canary', 'web', 'CanaryInProgress', '2']);
  });
});
