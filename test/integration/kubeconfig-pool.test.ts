// PooledKubeConfig against the real apiserver: API calls and watches share connections, where
// client-node alone opens one per request (counted at a TCP proxy in front of the apiserver).
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { resilientInformer } from '../../src/kube/informer.ts';
import { PooledKubeConfig } from '../../src/kube/kubeconfig.ts';
import { clients, eventually, freshNamespace, type Clients } from '../support/kube.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

let c: Clients;
let ns: string;
let removeNs: () => Promise<void>;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'kc-pool'));
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await removeNs?.();
});

/** `kc` loaded with the test cluster's credentials, reaching it through a new proxy. */
async function throughProxy<K extends KubeConfig>(kc: K): Promise<{ kc: K; proxy: TcpProxy }> {
  const proxy = await startTcpProxy(Number(new URL(c.kc.getCurrentCluster()!.server).port));
  proxies.push(proxy);
  kc.loadFromString(c.kc.exportConfig());
  const cluster = kc.getCurrentCluster()!;
  kc.clusters = kc.clusters.map((x) => (x.name === cluster.name ? { ...x, server: `https://127.0.0.1:${proxy.port}` } : x));
  return { kc, proxy };
}

async function twentyCalls(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 20; i++) await core.listNamespacedConfigMap({ namespace: ns, limit: 1 });
}

it('client-node alone opens a connection per request', async () => {
  const { kc, proxy } = await throughProxy(new KubeConfig());
  await twentyCalls(kc);
  expect(proxy.accepted()).toBeGreaterThanOrEqual(20);
});

it('PooledKubeConfig reuses one connection for sequential calls, and shares its agent with watches', async () => {
  const { kc, proxy } = await throughProxy(new PooledKubeConfig());
  await twentyCalls(kc);
  expect(proxy.accepted()).toBe(1);
  const core = kc.makeApiClient(CoreV1Api);
  const seen: string[] = [];
  const informer = resilientInformer<V1ConfigMap>(kc, 'pooled', `/api/v1/namespaces/${ns}/configmaps`, (p) => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=pool', ...p }), { add: (o) => seen.push(o.metadata!.name!) }, { labelSelector: 'test=pool' });
  try {
    await informer.start();
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x', labels: { test: 'pool' } } } });
    await eventually(() => expect(seen).toEqual(['x']), 30_000);
    await twentyCalls(kc);
    // The watch holds one connection; list and calls share another.
    expect(proxy.accepted()).toBeLessThanOrEqual(3);
  } finally {
    await informer.stop();
  }
});
