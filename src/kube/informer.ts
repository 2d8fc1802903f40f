// A client-node informer that survives: client-node's informers stop for good on a watch or list
// error (and never resync), so this wrapper restarts them with exponential backoff, resets the
// backoff once connected, and reports health (synced, restarts, last error) for /readyz.
// Handlers receive every add/update/delete; after a restart the relist replays adds/updates for
// what changed meanwhile, and deletes for what disappeared (client-node diffs its cache).
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';

export interface InformerHealth {
  name: string;
  /** True once a list succeeded and no error has happened since. */
  synced: boolean;
  restarts: number;
  lastError?: string;
  lastErrorAt?: string;
}

export interface InformerHandlers<T> {
  add?: (obj: T) => void;
  update?: (obj: T) => void;
  delete?: (obj: T) => void;
}

export interface ResilientInformerOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  labelSelector?: string;
}

export interface ResilientInformer<T> {
  /** Resolves once the first list is in the cache; keeps retrying until then. */
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): InformerHealth;
  /** The cached objects (empty until the first list). */
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

export function resilientInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  name: string,
  path: string,
  listFn: () => Promise<KubernetesListObject<T>>,
  handlers: InformerHandlers<T>,
  opts: ResilientInformerOptions = {},
): ResilientInformer<T> {
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  const h: InformerHealth = { name, synced: false, restarts: 0 };
  let stopped = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let listedOnce = false;
  let firstSync: (() => void) | undefined;
  const synced = new Promise<void>((r) => (firstSync = r));
  // Synced means a list succeeded — not client-node's 'connect', which it emits BEFORE listing.
  // client-node fills its cache right after this promise resolves, so the first-sync signal is
  // deferred to the next macrotask, by which time the cache holds the list.
  const trackedList = async () => {
    const list = await listFn();
    h.synced = true;
    attempt = 0;
    listedOnce = true;
    setImmediate(() => firstSync?.());
    return list;
  };
  const informer: Informer<T> & ObjectCache<T> = makeInformer(kc, path, trackedList, opts.labelSelector);

  const safe = (f: ((o: T) => void) | undefined) => (o: T) => {
    try {
      f?.(o);
    } catch {
      // A handler must not kill the informer; handlers only enqueue keys.
    }
  };
  informer.on('add', safe(handlers.add));
  informer.on('update', safe(handlers.update));
  informer.on('delete', safe(handlers.delete));
  // After the first list, a reconnect re-watches from the last resourceVersion without listing
  // again: then 'connect' is the sign of recovery (a failing watch emits 'error' right after).
  informer.on('connect', () => {
    if (!listedOnce) return;
    attempt = 0;
    h.synced = true;
  });
  informer.on('error', (err: unknown) => {
    h.synced = false;
    h.lastError = err instanceof Error ? err.message : String(err);
    h.lastErrorAt = new Date().toISOString();
    schedule();
  });

  const schedule = () => {
    if (stopped || timer) return;
    const delay = Math.min(max, base * 2 ** attempt++);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      h.restarts++;
      informer.start().catch((e: unknown) => {
        h.lastError = e instanceof Error ? e.message : String(e);
        h.lastErrorAt = new Date().toISOString();
        schedule();
      });
    }, delay);
  };

  return {
    async start() {
      // client-node's start() resolves once the first list is in the cache and the watch runs
      // (or, on a list error, after emitting 'error', which schedules a retry).
      await informer.start().catch((e: unknown) => {
        h.lastError = e instanceof Error ? e.message : String(e);
        h.lastErrorAt = new Date().toISOString();
        schedule();
      });
      if (!listedOnce) await synced;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
    health: () => ({ ...h }),
    list: (namespace) => informer.list(namespace),
    get: (n, namespace) => informer.get(n, namespace),
  };
}
