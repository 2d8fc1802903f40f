// The informer's cache: objects by namespace and name ('' for cluster-scoped objects). Holds only
// what it is given (already transformed); tells the caller whether an upsert was an add, an update
// or nothing new, so the informer can call the right handler. Not thread-safe by design: the
// informer's single loop is the only writer.
import type { KubernetesObject } from '@kubernetes/client-node';

export type Upsert = 'added' | 'updated' | 'unchanged';

export class ObjectStore<T extends KubernetesObject> {
  private readonly byNamespace = new Map<string, Map<string, T>>();

  get(name: string, namespace?: string): T | undefined {
    return this.byNamespace.get(namespace ?? '')?.get(name);
  }

  /** A new array of the cached objects of one namespace, or of all when `namespace` is empty. */
  list(namespace?: string): T[] {
    if (namespace) return [...(this.byNamespace.get(namespace)?.values() ?? [])];
    const out: T[] = [];
    for (const m of this.byNamespace.values()) for (const o of m.values()) out.push(o);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byNamespace.values()) n += m.size;
    return n;
  }

  /**
   * Caches `obj` unless the cached object has the same metadata.resourceVersion (then the cached
   * one stays, and is what `current` returns). Objects without a resourceVersion always replace.
   */
  upsert(obj: T): Upsert {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let m = this.byNamespace.get(ns);
    if (!m) this.byNamespace.set(ns, (m = new Map<string, T>()));
    const old = m.get(name);
    const rv = obj.metadata?.resourceVersion;
    if (old && rv && old.metadata?.resourceVersion === rv) return 'unchanged';
    m.set(name, obj);
    return old ? 'updated' : 'added';
  }

  /** The cached object with `obj`'s namespace and name (after an upsert: the one kept). */
  current(obj: T): T | undefined {
    return this.get(obj.metadata?.name ?? '', obj.metadata?.namespace ?? '');
  }

  /** Removes the object with `obj`'s namespace and name; true when there was one. */
  remove(obj: T): boolean {
    const ns = obj.metadata?.namespace ?? '';
    const m = this.byNamespace.get(ns);
    if (!m?.delete(obj.metadata?.name ?? '')) return false;
    if (m.size === 0) this.byNamespace.delete(ns);
    return true;
  }

  /** Removes every cached object not in `keep` (by identity) and returns them. */
  sweep(keep: ReadonlySet<T>): T[] {
    const gone: T[] = [];
    for (const [ns, m] of this.byNamespace) {
      for (const [name, o] of m) {
        if (keep.has(o)) continue;
        m.delete(name);
        gone.push(o);
      }
      if (m.size === 0) this.byNamespace.delete(ns);
    }
    return gone;
  }
}
