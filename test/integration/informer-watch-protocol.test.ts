// The informer's answers to the watch protocol's rarer turns, which a real apiserver gives only
// after etcd compaction and watch-cache eviction: a scripted HTTP server plays the watch, the test
// plays the list. Covered: resume from the last resourceVersion (events and bookmarks) after a
// normal end; 410 Gone as an ERROR event and as the HTTP status → full relist, which replays
// deletes; an expired continue token → the list starts over; other ERROR events → backoff.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig, type V1ConfigMap, type V1ConfigMapList } from '@kubernetes/client-node';
import { resilientInformer, type ListPage, type ResilientInformer } from '../../src/kube/informer.ts';
import { eventually } from '../support/kube.ts';

type WatchScript = (n: number, query: URLSearchParams, res: ServerResponse) => void;

const servers: Server[] = [];
const informers: Array<ResilientInformer<V1ConfigMap>> = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A server that answers the n-th watch request (0-based) with `script`; returns a kubeconfig for it and the requests seen. */
async function watchServer(script: WatchScript): Promise<{ kc: KubeConfig; watches: URLSearchParams[] }> {
  const watches: URLSearchParams[] = [];
  const s = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') !== 'true') return void res.writeHead(404).end();
    watches.push(url.searchParams);
    script(watches.length - 1, url.searchParams, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(s.address() as { port: number }).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, watches };
}

const cm = (name: string, rv: string, v = '1'): V1ConfigMap => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, data: { v } });
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;
/** Starts a watch answer: headers now (the client counts as connected), events later. */
const stream = (res: ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
  return res;
};
const gone = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 5 (20)', reason: 'Expired', code: 410 };

function informerOf(kc: KubeConfig, list: (p: ListPage) => Promise<V1ConfigMapList>, events: string[]): ResilientInformer<V1ConfigMap> {
  const i = resilientInformer<V1ConfigMap>(
    kc,
    'fake',
    '/api/v1/namespaces/ns/configmaps',
    list,
    {
      add: (o) => events.push(`add ${o.metadata!.name}`),
      update: (o) => events.push(`update ${o.metadata!.name} ${o.data?.v ?? ''}`),
      delete: (o) => events.push(`delete ${o.metadata!.name}`),
    },
    { baseDelayMs: 50, maxDelayMs: 200 },
  );
  informers.push(i);
  return i;
}

const listOf = (rv: string, items: V1ConfigMap[], _continue?: string): V1ConfigMapList => ({ metadata: { resourceVersion: rv, ...(_continue ? { _continue } : {}) }, items });

describe('watch protocol', () => {
  it('resumes a watch that ended normally from the last event or bookmark resourceVersion, with bookmarks asked for', async () => {
    const { kc, watches } = await watchServer((n, _q, res) => {
      stream(res);
      if (n === 0) res.end(line('ADDED', cm('b', '11')) + line('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '15' } }));
      else if (n === 1) res.end(line('MODIFIED', cm('a', '16', '2')));
      else res.write(line('BOOKMARK', { metadata: { resourceVersion: '17' } })); // stays open
    });
    const events: string[] = [];
    const informer = informerOf(kc, async () => listOf('10', [cm('a', '9')]), events);
    await informer.start();
    await eventually(() => expect(watches.length).toBeGreaterThanOrEqual(3), 10_000);
    expect(watches.slice(0, 3).map((q) => q.get('resourceVersion'))).toEqual(['10', '15', '16']);
    expect(watches[0]!.get('allowWatchBookmarks')).toBe('true');
    expect(Number(watches[0]!.get('timeoutSeconds'))).toBeLessThan(30); // ends before client-node's inactivity timeout
    expect(events).toEqual(['add a', 'add b', 'update a 2']);
    expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });
    expect(informer.health().lastError).toBeUndefined();
  });

  for (const how of ['an ERROR event', 'the HTTP status'] as const) {
    it(`relists in full on 410 Gone as ${how}, replaying adds, updates and deletes, then watches from the new list`, async () => {
      const { kc, watches } = await watchServer((n, _q, res) => {
        if (n === 0 && how === 'the HTTP status') return void res.writeHead(410, { 'Content-Type': 'application/json' }).end(JSON.stringify(gone));
        stream(res);
        if (n === 0) res.end(line('ERROR', gone));
        else res.write(line('ADDED', cm('d', '31'))); // stays open
      });
      const events: string[] = [];
      let lists = 0;
      const informer = informerOf(
        kc,
        async () => (lists++ === 0 ? listOf('5', [cm('a', '1'), cm('b', '2'), cm('c', '3')]) : listOf('30', [cm('a', '1'), cm('b', '22', '2')])),
        events,
      );
      await informer.start();
      await eventually(() => expect(events).toContain('add d'), 10_000);
      expect(lists).toBe(2);
      expect(watches.map((q) => q.get('resourceVersion'))).toEqual(['5', '30']);
      expect(events).toEqual(['add a', 'add b', 'add c', 'update b 2', 'delete c', 'add d']);
      expect(informer.list().map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort()).toEqual(['a@1', 'b@22', 'd@31']);
      // 410 is the protocol's way of saying "list again", not a failure.
      expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });
      expect(informer.health().lastError).toBeUndefined();
    });
  }

  it('starts a paged list over when its continue token expired (410)', async () => {
    const { kc } = await watchServer((_n, _q, res) => void stream(res).write(line('BOOKMARK', { metadata: { resourceVersion: '50' } })));
    const pages: string[] = [];
    let expiredOnce = false;
    const informer = informerOf(
      kc,
      async (p) => {
        pages.push(`${p.limit}:${p._continue ?? '-'}`);
        if (!p._continue) return listOf('40', [cm('a', '1')], 'page-2');
        if (!expiredOnce) {
          expiredOnce = true;
          throw Object.assign(new Error('HTTP-Code: 410 Message: The provided continue parameter is too old'), { code: 410 });
        }
        return listOf('40', [cm('b', '2')]);
      },
      [],
    );
    await informer.start();
    expect(pages).toEqual(['500:-', '500:page-2', '500:-', '500:page-2']);
    expect(informer.list().map((o) => o.metadata!.name).sort()).toEqual(['a', 'b']);
    expect(informer.health()).toMatchObject({ synced: true, restarts: 0 });
  });

  it('backs off and resumes from the last resourceVersion after another ERROR event, reporting it meanwhile', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const { kc, watches } = await watchServer((n, _q, res) => {
      stream(res);
      if (n === 0) res.end(line('ADDED', cm('b', '12')) + line('ERROR', { kind: 'Status', status: 'Failure', message: 'etcd is sad', reason: 'InternalError', code: 500 }));
      else if (n === 1) void released.then(() => res.write(line('ADDED', cm('c', '13'))));
      else res.write(line('BOOKMARK', { metadata: { resourceVersion: '13' } }));
    });
    const events: string[] = [];
    const informer = informerOf(kc, async () => listOf('10', [cm('a', '9')]), events);
    await informer.start();
    await eventually(() => expect(informer.health().lastError).toContain('etcd is sad'), 10_000);
    await eventually(() => expect(watches.length).toBe(2), 10_000);
    expect(informer.health().restarts).toBe(1);
    expect(watches[1]!.get('resourceVersion')).toBe('12');
    await eventually(() => expect(informer.health().synced).toBe(true), 10_000); // connected again
    release();
    await eventually(() => expect(events).toEqual(['add a', 'add b', 'add c']), 10_000);
  });
});
