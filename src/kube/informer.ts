// An informer that survives and stays small, built on client-node's low-level Watch (not its
// makeInformer, which caches whole objects, managedFields and all, lists in one piece and stops for
// good on the first error):
//  - list in pages (`pageSize`, default 500, through the caller's page function), then watch from
//    the list's resourceVersion with bookmarks, so a re-watch resumes where the last one ended;
//  - every object goes through `transform` (default: drop metadata.managedFields) before it is
//    cached or handed to a handler; the raw list pages and watch events are not kept;
//  - a watch that ends normally (server timeout, client-node's inactivity timeout) is resumed from
//    the last resourceVersion at once; 410 Gone ("too old resource version") means a full relist;
//    any other error restarts with exponential backoff (reset once connected again);
//  - health (synced, restarts, last error) for /readyz.
// Handlers receive every add/update/delete; a relist replays adds/updates for what changed and
// deletes for what disappeared since the cache was last in step.
import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { ObjectStore } from './object-store.ts';

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

/**
 * One page of a list: pass both straight to a client-node list call
 * (`(p) => core.listNamespacedPod({ namespace, ...p })`). `_continue` is absent on the first page.
 */
export interface ListPage {
  limit: number;
  _continue?: string;
}

/**
 * Lists one page. A function that ignores its argument (returns everything at once, no continue
 * token) still works: the list is then a single page.
 */
export type ListFn<T extends KubernetesObject> = (page: ListPage) => Promise<KubernetesListObject<T>>;

export interface ResilientInformerOptions<T extends KubernetesObject = KubernetesObject> {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Sent with the watch; the page function must apply the same selector to its list. */
  labelSelector?: string;
  /** Sent with the watch; the page function must apply the same selector to its list. */
  fieldSelector?: string;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /**
   * Applied to every object before it is cached and before a handler sees it: keep only the
   * fields the readers use (see slim.ts). Must be pure and total, and keep metadata.name,
   * namespace and resourceVersion (the cache keys and change detection). metadata.managedFields
   * is dropped from whatever it returns.
   */
  transform?: (obj: T) => T;
}

export interface ResilientInformer<T> {
  /** Resolves once the first list is in the cache (or the informer is stopped); keeps retrying until then. */
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): InformerHealth;
  /** The cached objects (empty until the first list): of one namespace, or all when none is given. */
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

const DEFAULT_PAGE_SIZE = 500;
/**
 * Asked of the server for each watch: under client-node's 30 s inactivity timeout, so the server
 * ends a quiet watch normally, and sends a bookmark 2 s before it does (kube-apiserver's cacher),
 * which keeps the resume resourceVersion fresh even when nothing of this kind changes.
 */
const WATCH_TIMEOUT_S = 25;
/** A watch that ends normally sooner than this is resumed only after the base delay (no tight loop). */
const MIN_WATCH_MS = 1_000;

/** The object without metadata.managedFields (the same object when it has none). */
export function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  const md = obj.metadata;
  if (!md || !('managedFields' in md)) return obj;
  const { managedFields: _dropped, ...metadata } = md;
  return { ...obj, metadata };
}

/** True for 410 Gone from a list/watch call, a failed watch request, or a watch ERROR event's Status. */
export function isGone(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, statusCode } = e as { code?: unknown; statusCode?: unknown };
  return code === 410 || statusCode === 410;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function continueOf(meta: unknown): string | undefined {
  // Typed list responses carry `_continue` (client-node's name); raw JSON (custom objects) `continue`.
  const m = meta as { _continue?: unknown; continue?: unknown } | undefined;
  const c = m?._continue ?? m?.continue;
  return typeof c === 'string' && c ? c : undefined;
}

type WatchEnd = 'ended' | 'expired';

export function resilientInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  name: string,
  path: string,
  listFn: ListFn<T>,
  handlers: InformerHandlers<T>,
  opts: ResilientInformerOptions<T> = {},
): ResilientInformer<T> {
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const userTransform = opts.transform;
  const transform = (o: T): T => withoutManagedFields(userTransform ? userTransform(o) : o);
  const watcher = new Watch(kc);
  const store = new ObjectStore<T>();
  const h: InformerHealth = { name, synced: false, restarts: 0 };

  let stopped = false;
  let started = false;
  let attempt = 0;
  /** Where the next watch resumes; empty: list first. */
  let resourceVersion = '';
  let listedOnce = false;
  let request: AbortController | undefined;
  let wake: (() => void) | undefined;
  let sleepTimer: NodeJS.Timeout | undefined;
  let firstSync: () => void = () => undefined;
  const synced = new Promise<void>((r) => (firstSync = r));

  const safe = (f: ((o: T) => void) | undefined) => (o: T) => {
    try {
      f?.(o);
    } catch {
      // A handler must not kill the informer; handlers only enqueue keys.
    }
  };
  const onAdd = safe(handlers.add);
  const onUpdate = safe(handlers.update);
  const onDelete = safe(handlers.delete);

  const fail = (e: unknown) => {
    h.synced = false;
    h.lastError = message(e);
    h.lastErrorAt = new Date().toISOString();
  };
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      wake = r;
      sleepTimer = setTimeout(r, ms);
    }).finally(() => {
      wake = undefined;
      sleepTimer = undefined;
    });
  const delay = () => Math.min(max, base * 2 ** attempt++);

  /** Caches `o` and calls add or update when it is new or changed; returns the object now cached. */
  const apply = (o: T): T | undefined => {
    const r = store.upsert(o);
    if (r === 'added') onAdd(o);
    else if (r === 'updated') onUpdate(o);
    return store.current(o);
  };

  /**
   * The full list, page by page. Each page is transformed and merged into the cache as it arrives
   * (so no page is held longer than it takes to merge it); what the list no longer holds is
   * deleted at the end. A continue token that expired (410) restarts the list once.
   */
  const relist = async () => {
    const seen = new Set<T>();
    let token: string | undefined;
    let restarted = false;
    let listRv: string;
    for (;;) {
      let page: KubernetesListObject<T>;
      try {
        page = await listFn(token ? { limit: pageSize, _continue: token } : { limit: pageSize });
      } catch (e) {
        if (token && isGone(e) && !restarted) {
          restarted = true;
          token = undefined;
          seen.clear();
          continue;
        }
        throw e;
      }
      if (stopped) return;
      for (const item of page.items ?? []) {
        const kept = apply(transform(item));
        if (kept) seen.add(kept);
      }
      listRv = page.metadata?.resourceVersion ?? '';
      token = continueOf(page.metadata);
      if (!token) break;
    }
    for (const o of store.sweep(seen)) onDelete(o);
    resourceVersion = listRv;
    h.synced = true;
    attempt = 0;
    listedOnce = true;
    firstSync();
  };

  /** One watch from `resourceVersion`; resolves when it ends normally or as expired, rejects on errors. */
  const watchOnce = () =>
    new Promise<WatchEnd>((resolve, reject) => {
      let done = false;
      let connected = false;
      let expired = false;
      let failure: unknown;
      const onEvent = (type: string, obj: unknown) => {
        if (done || stopped) return;
        try {
          const rv = (obj as KubernetesObject | undefined)?.metadata?.resourceVersion;
          switch (type) {
            case 'ADDED':
            case 'MODIFIED':
              apply(transform(obj as T));
              break;
            case 'DELETED': {
              const o = transform(obj as T);
              if (store.remove(o)) onDelete(o);
              break;
            }
            case 'BOOKMARK':
              break;
            case 'ERROR':
              // A metav1.Status; 410 Gone: the resourceVersion is older than the server keeps.
              if (isGone(obj)) expired = true;
              else failure = new Error(`watch ${path}: ${(obj as { message?: string } | undefined)?.message ?? JSON.stringify(obj)}`);
              request?.abort();
              return;
            default:
              return;
          }
          if (rv) resourceVersion = rv;
        } catch (e) {
          // client-node swallows exceptions of this callback: end the watch with it instead.
          failure = e;
          request?.abort();
        }
      };
      const onDone = (err: unknown) => {
        if (done) return;
        done = true;
        if (failure) reject(failure instanceof Error ? failure : new Error(message(failure)));
        else if (expired || isGone(err)) resolve('expired');
        // After a connect, client-node's timeout is one of inactivity: a quiet watch, not a failure.
        else if (err && !(connected && (err as { name?: unknown }).name === 'TimeoutError')) reject(err instanceof Error ? err : new Error(message(err)));
        else resolve('ended');
      };
      const params: Record<string, string | number | boolean | undefined> = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_S,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      };
      watcher.watch(path, params, onEvent, onDone).then(
        (c) => {
          request = c;
          // client-node calls done before resolving when the request itself failed.
          if (done) return;
          connected = true;
          attempt = 0;
          if (listedOnce) h.synced = true;
          if (stopped) c.abort();
        },
        (e: unknown) => onDone(e),
      );
    });

  const run = async () => {
    while (!stopped) {
      try {
        if (!resourceVersion) await relist();
        if (stopped) break;
        const t0 = Date.now();
        const end = await watchOnce();
        request = undefined;
        if (end === 'expired') resourceVersion = '';
        else if (Date.now() - t0 < MIN_WATCH_MS) await sleep(base);
      } catch (e) {
        request = undefined;
        if (stopped) break;
        fail(e);
        if (isGone(e)) resourceVersion = '';
        await sleep(delay());
        if (!stopped) h.restarts++;
      }
    }
  };

  return {
    async start() {
      if (!started) {
        started = true;
        // The loop never rejects (it catches everything); the void is for the linter.
        void run();
      }
      await synced;
    },
    stop() {
      stopped = true;
      request?.abort();
      clearTimeout(sleepTimer);
      wake?.();
      firstSync();
      return Promise.resolve();
    },
    health: () => ({ ...h }),
    list: (namespace) => store.list(namespace),
    get: (n, namespace) => store.get(n, namespace),
  };
}
