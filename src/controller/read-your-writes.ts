// Read-your-writes over an informer cache. The watch delivers our own writes a little later than
// the apiserver's answer to them; deciding again from the older cached copy would, for example,
// start a cycle twice. So the answer to each write is remembered and preferred over the cache
// until the cache holds that version or a newer one.
//
// Ordering uses resourceVersion as a number. Kubernetes calls resourceVersions opaque, but every
// apiserver backed by etcd issues them from etcd's revision counter; a version that is not a
// decimal number is treated as "cannot tell", and the cache wins.
import type { KubernetesObject } from '@kubernetes/client-node';

const DECIMAL = /^\d{1,30}$/;

/** True when `a` is known to be a strictly newer resourceVersion than `b`. */
export function newerVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !DECIMAL.test(a) || !DECIMAL.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

export class ReadYourWrites<T extends KubernetesObject> {
  private readonly written = new Map<string, T>();

  /** Remember the apiserver's answer to a write of the object stored under `key`. */
  remember(key: string, obj: T): void {
    const prior = this.written.get(key);
    if (prior && !newerVersion(obj.metadata?.resourceVersion, prior.metadata?.resourceVersion)) return;
    this.written.set(key, obj);
  }

  /** The newer of the cached object and our last write (a write for another uid, a replaced object, is dropped). */
  pick(key: string, cached: T | undefined): T | undefined {
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (cached && mine.metadata?.uid !== cached.metadata?.uid) {
      this.written.delete(key);
      return cached;
    }
    if (cached && !newerVersion(mine.metadata?.resourceVersion, cached.metadata?.resourceVersion)) {
      this.written.delete(key); // the cache caught up
      return cached;
    }
    return cached ? mine : undefined; // not in the cache (deleted, or not listed yet): trust the cache
  }

  forget(key: string): void {
    this.written.delete(key);
  }

  get size(): number {
    return this.written.size;
  }
}
