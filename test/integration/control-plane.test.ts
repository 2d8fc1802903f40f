// The local control plane is a real one: controllers, scheduler, admission, RBAC, the
// service-account token controller and the garbage collector all act, and the apiserver enforces
// in-place resize rules. Every assertion is on cluster state.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthenticationV1Api as AuthenticationApi, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { apiError, clients, eventually, freshNamespace, tokenKubeConfig, uniqueName, type Clients } from '../support/kube.ts';

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

let c: Clients;
let ns: string;
let removeNs: () => Promise<void>;

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'cp'));
});
afterAll(async () => removeNs?.());

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '50m', memory: '32Mi' } } }],
        },
      },
    },
  };
}

const podsOf = async (app: string) => (await c.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;

describe('workload controllers and scheduler', () => {
  it('a 3-replica Deployment gets a ReplicaSet and 3 Pods bound to the registered nodes', async () => {
    const name = uniqueName('web');
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 3) });

    const rs = await eventually(async () => {
      const list = (await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items;
      expect(list).toHaveLength(1);
      expect(list[0]!.metadata!.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name });
      return list[0]!;
    });
    const nodes = inject('nodeNames');
    const pods = await eventually(async () => {
      const list = await podsOf(name);
      expect(list).toHaveLength(3);
      for (const p of list) {
        expect(p.metadata!.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata!.name });
        expect(nodes).toContain(p.spec!.nodeName);
        expect(p.status!.phase).toBe('Running');
      }
      return list;
    });
    // The scheduler spreads replicas of one workload (default PodTopologySpread / balanced scoring).
    expect(new Set(pods.map((p) => p.spec!.nodeName)).size).toBe(2);
    await eventually(async () => {
      const d = await c.apps.readNamespacedDeployment({ name, namespace: ns });
      expect(d.status?.readyReplicas).toBe(3);
    });
  });

  it('deleting a Deployment garbage-collects its ReplicaSet and Pods', async () => {
    const name = uniqueName('gc');
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 2) });
    await eventually(async () => expect((await podsOf(name)).filter((p) => p.status?.phase === 'Running')).toHaveLength(2));

    await c.apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: 'Background' });
    await eventually(async () => {
      expect((await c.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items).toHaveLength(0);
      expect(await podsOf(name)).toHaveLength(0);
    });
  });
});

describe('in-place resize on the apiserver', () => {
  it('discovery lists the pods/resize subresource', async () => {
    const resources = await c.core.getAPIResources();
    const resize = resources.resources.find((r) => r.name === 'pods/resize');
    expect(resize).toBeDefined();
    expect(resize!.verbs).toEqual(expect.arrayContaining(['get', 'patch', 'update']));
  });

  it('rejects a resize that would change the QoS class, accepts one that keeps it', async () => {
    const name = uniqueName('qos');
    const pod: V1Pod = {
      metadata: { name },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.k8s.io/pause:3.10',
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          },
        ],
      },
    };
    await c.core.createNamespacedPod({ namespace: ns, body: pod });
    const running = await eventually(async () => {
      const p = await c.core.readNamespacedPod({ name, namespace: ns });
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.qosClass).toBe('Burstable');
      return p;
    });

    // requests = limits for every resource would make the pod Guaranteed.
    const toGuaranteed = { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m', memory: '128Mi' } } }] } };
    const err = await apiError(() => c.core.patchNamespacedPodResize({ name, namespace: ns, body: toGuaranteed }, strategic));
    expect(err.status).toBe(422);
    expect(err.body).toContain('Pod QOS Class may not change as a result of resizing');

    const stillBurstable = { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' } } }] } };
    const resized = await c.core.patchNamespacedPodResize({ name, namespace: ns, body: stillBurstable }, strategic);
    expect(resized.spec!.containers[0]!.resources!.requests).toMatchObject({ cpu: '150m', memory: '64Mi' });
    expect(resized.metadata!.generation).toBe((running.metadata!.generation ?? 1) + 1);
  });

  it('keeps resources immutable through a plain pod patch', async () => {
    const name = uniqueName('immut');
    await c.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m' } } }] } },
    });
    const patch = { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '300m' } } }] } };
    const err = await apiError(() => c.core.patchNamespacedPod({ name, namespace: ns, body: patch }, strategic));
    expect(err.status).toBe(422);
    expect(err.body).toContain('pod updates may not change fields other than');
  });
});

describe('authentication and authorization', () => {
  it('RBAC denies a service account without a role, and allows it once bound', async () => {
    const sa = uniqueName('norole');
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    const tr = await c.core.createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { spec: { expirationSeconds: 600 } } });
    const asSa = saClient(tr.status?.token ?? '');

    const denied = await apiError(() => asSa.listNamespacedPod({ namespace: ns }));
    expect(denied.status).toBe(403);
    expect(denied.body).toContain(`system:serviceaccount:${ns}:${sa}`);

    await c.rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: sa }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    });
    await c.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: sa },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      },
    });
    await eventually(async () => expect((await asSa.listNamespacedPod({ namespace: ns })).items).toBeDefined());
    // The role grants pods, not pods/resize: a subresource needs its own rule.
    const resizeDenied = await apiError(() => asSa.patchNamespacedPodResize({ name: 'any', namespace: ns, body: {} }, strategic));
    expect(resizeDenied.status).toBe(403);
  });

  it('the controller-manager fills a service-account token Secret that then authenticates', async () => {
    const sa = uniqueName('legacy');
    await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    await c.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: sa, annotations: { 'kubernetes.io/service-account.name': sa } }, type: 'kubernetes.io/service-account-token' },
    });
    const secret = await eventually(async () => {
      const s = await c.core.readNamespacedSecret({ name: sa, namespace: ns });
      expect(s.data?.token).toBeTruthy();
      expect(s.data?.['ca.crt']).toBeTruthy();
      return s;
    });
    const token = Buffer.from(secret.data!.token!, 'base64').toString();
    const review = await saClient(token, AuthenticationApi).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:${sa}`);
  });
});

/** A client that authenticates with a bearer token instead of the admin certificate. */
function saClient(token: string): CoreV1Api;
function saClient<T>(token: string, api: new (...args: never[]) => T): T;
function saClient(token: string, api: unknown = CoreV1Api): unknown {
  return tokenKubeConfig(c.kc, 'sa', token).makeApiClient(api as typeof CoreV1Api);
}
