// The informer's list/watch against the real apiserver: paged lists (more objects than a page) and
// the transform (applied before caching and before handlers; managedFields dropped by default).
// The watch protocol's rarer answers (410 Gone, expired continue tokens, ERROR events) are in
// informer-watch-protocol.test.ts, against a scripted server.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { V1ConfigMap, V1ConfigMapList } from '@kubernetes/client-node';
import { resilientInformer, type ListPage, type ResilientInformer } from '../../src/kube/informer.ts';
import { clients, eventually, freshNamespace, type Clients } from '../support/kube.ts';

let c: Clients;
let ns: string;
let removeNs: () => Promise<void>;
const informers: Array<ResilientInformer<V1ConfigMap>> = [];

beforeAll(async () => {
  c = clients(inject('kubeconfig'));
  ({ name: ns, remove: removeNs } = await freshNamespace(c.core, 'informer-lw'));
});
afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await removeNs?.();
});

const cm = (name: string, label: string, v = '1') => ({ metadata: { name, labels: { test: label } }, data: { v, padding: 'x'.repeat(64) } });

/** Runs `fn` over 0…n-1 with `width` calls in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

function informerOf(label: string, list: (p: ListPage) => Promise<V1ConfigMapList>, events: string[], transform?: (o: V1ConfigMap) => V1ConfigMap): ResilientInformer<V1ConfigMap> {
  const i = resilientInformer<V1ConfigMap>(
    c.kc,
    `configmaps-${label}`,
    `/api/v1/namespaces/${ns}/configmaps`,
    list,
    {
      add: (o) => events.push(`add ${o.metadata!.name}`),
      update: (o) => events.push(`update ${o.metadata!.name} ${o.data?.v ?? ''}`),
      delete: (o) => events.push(`delete ${o.metadata!.name}`),
    },
    { baseDelayMs: 100, maxDelayMs: 1_000, labelSelector: `test=${label}`, ...(transform ? { transform } : {}) },
  );
  informers.push(i);
  return i;
}

describe('paged list', () => {
  it('lists more objects than a page in pages, caches them all without managedFields, then watches', async () => {
    const n = 1_200;
    await pool(n, 32, (i) => c.core.createNamespacedConfigMap({ namespace: ns, body: cm(`paged-${String(i).padStart(4, '0')}`, 'paged') }));
    const pages: Array<{ limit: number; continued: boolean; items: number }> = [];
    const events: string[] = [];
    const informer = informerOf(
      'paged',
      async (p) => {
        const list = await c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=paged', ...p });
        pages.push({ limit: p.limit, continued: p._continue !== undefined, items: list.items.length });
        return list;
      },
      events,
    );
    await informer.start();
    expect(pages).toEqual([
      { limit: 500, continued: false, items: 500 },
      { limit: 500, continued: true, items: 500 },
      { limit: 500, continued: true, items: 200 },
    ]);
    const cached = informer.list(ns);
    expect(cached).toHaveLength(n);
    expect(new Set(cached.map((o) => o.metadata!.name)).size).toBe(n);
    expect(cached.every((o) => o.metadata!.managedFields === undefined && o.metadata!.resourceVersion && o.data?.v === '1')).toBe(true);
    expect(events.filter((e) => e.startsWith('add '))).toHaveLength(n);

    // The watch resumes from the list's resourceVersion: later changes arrive, also without managedFields.
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('paged-late', 'paged') });
    await c.core.replaceNamespacedConfigMap({ name: 'paged-0000', namespace: ns, body: cm('paged-0000', 'paged', '2') });
    await eventually(() => expect(events.slice(n)).toEqual(['add paged-late', 'update paged-0000 2']), 30_000);
    expect(informer.get('paged-late', ns)?.metadata?.managedFields).toBeUndefined();
    expect(informer.get('paged-0000', ns)?.data?.v).toBe('2');
    expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });
  });
});

describe('transform', () => {
  it('applies the transform before caching and before the handlers', async () => {
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('slim-a', 'slim') });
    const seen: V1ConfigMap[] = [];
    const events: string[] = [];
    const slim = (o: V1ConfigMap): V1ConfigMap => {
      const { name, namespace, resourceVersion } = o.metadata ?? {};
      return { metadata: { name, namespace, resourceVersion }, data: { v: o.data?.v ?? '' } };
    };
    const informer = resilientInformer<V1ConfigMap>(
      c.kc,
      'configmaps-slim',
      `/api/v1/namespaces/${ns}/configmaps`,
      (p) => c.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=slim', ...p }),
      {
        add: (o) => (seen.push(o), events.push(`add ${o.metadata!.name}`)),
        update: (o) => (seen.push(o), events.push(`update ${o.metadata!.name} ${o.data?.v ?? ''}`)),
      },
      { labelSelector: 'test=slim', transform: slim },
    );
    informers.push(informer);
    await informer.start();
    await c.core.createNamespacedConfigMap({ namespace: ns, body: cm('slim-b', 'slim') }); // through the watch
    await c.core.replaceNamespacedConfigMap({ name: 'slim-a', namespace: ns, body: cm('slim-a', 'slim', '2') });
    await eventually(() => expect(events).toEqual(['add slim-a', 'add slim-b', 'update slim-a 2']), 30_000);
    const shape = (o: V1ConfigMap) => ({ keys: Object.keys(o).sort(), metadata: Object.keys(o.metadata ?? {}).sort(), data: o.data });
    for (const o of [...seen, ...informer.list()]) {
      expect(shape(o)).toEqual({ keys: ['data', 'metadata'], metadata: ['name', 'namespace', 'resourceVersion'], data: { v: o.data!.v } });
    }
    expect(informer.get('slim-a', ns)?.data).toEqual({ v: '2' });
  });
});
