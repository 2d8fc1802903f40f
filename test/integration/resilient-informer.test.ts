// The informer wrapper against the real apiserver, through a proxy the test can cut: it reports
// the outage in its health, restarts with backoff, and after recovery has seen every change made
// during the outage (adds, updates, deletes) — without the test restarting anything. Once with
// client-node's KubeConfig (a connection per request), once with PooledKubeConfig (shared
// connections, which the cut kills under it).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { resilientInformer, type ResilientInformer } from '../../src/kube/informer.ts';
import { PooledKubeConfig } from '../../src/kube/kubeconfig.ts';
import { clients, eventually, freshNamespace, type Clients } from '../support/kube.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const cm = (name: string, v: string) => ({ metadata: { name, labels: { test: 'informer' } }, data: { v } });

describe.each([
  ['KubeConfig', () => new KubeConfig()],
  ['PooledKubeConfig', () => new PooledKubeConfig()],
])('with %s', (_name, newKubeConfig) => {
  let c: Clients;
  let ns: string;
  let removeNs: () => Promise<void>;
  let proxy: TcpProxy;
  let informer: ResilientInformer<V1ConfigMap>;
  const events: string[] = [];

  beforeAll(async () => {
    c = clients(inject('kubeconfig'));
    ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'informer'));
    const server = new URL(c.kc.getCurrentCluster()!.server);
    proxy = await startTcpProxy(Number(server.port));
    // The same credentials, through the proxy.
    const kc = newKubeConfig();
    kc.loadFromString(c.kc.exportConfig());
    const cluster = kc.getCurrentCluster()!;
    kc.clusters = kc.clusters.map((x) => (x.name === cluster.name ? { ...x, server: `https://127.0.0.1:${proxy.port}` } : x));
    const core = kc.makeApiClient(CoreV1Api);
    informer = resilientInformer<V1ConfigMap>(
      kc,
      'configmaps',
      `/api/v1/namespaces/${ns}/configmaps`,
      // Scoped by label: the controller-manager publishes kube-root-ca.crt into every namespace.
      // A list function without the page argument still works (one page).
      () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=informer' }),
      {
        add: (o) => events.push(`add ${o.metadata!.name}`),
        update: (o) => events.push(`update ${o.metadata!.name} ${o.data?.v ?? ''}`),
        delete: (o) => events.push(`delete ${o.metadata!.name}`),
      },
      { baseDelayMs: 200, maxDelayMs: 1_000, labelSelector: 'test=informer' },
    );
  });
  afterAll(async () => {
    await informer?.stop();
    await proxy?.close();
    await removeNs?.();
  });

  it('survives an apiserver outage and catches up with what changed meanwhile', async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('before', '1') });
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('doomed', '1') });
    await informer.start();
    expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });
    // The cache is complete the moment start() resolves: the controller relies on it (targets
    // looked up right after start must not read as missing).
    expect(informer.list().map((o) => o.metadata!.name).sort()).toEqual(['before', 'doomed']);

    proxy.cut();
    await eventually(() => {
      expect(informer.health().synced).toBe(false);
      expect(informer.health().lastError).toBeTruthy();
    }, 30_000);
    // Changes while the informer is blind.
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('during', '1') });
    await c.core.replaceNamespacedConfigMap({ name: 'before', namespace: ns, body: cm('before', '2') });
    await c.core.deleteNamespacedConfigMap({ name: 'doomed', namespace: ns });
    await eventually(() => expect(informer.health().restarts).toBeGreaterThanOrEqual(2), 30_000); // retrying with backoff

    proxy.restore();
    await eventually(() => expect(informer.health().synced).toBe(true), 30_000);
    await eventually(() => {
      expect(informer.list().map((o) => `${o.metadata!.name}=${o.data!.v}`).sort()).toEqual(['before=2', 'during=1']);
      expect(events).toEqual(expect.arrayContaining(['add during', 'update before 2', 'delete doomed']));
    }, 30_000);
  });
});
