// Comparing API objects as the simulated kubelet sees them. client-node hands out one object in two
// shapes: typed (list results, call responses: times are Date) and raw (watch events, hence most of
// an informer's cache: times are RFC 3339 strings). The kubelet compares what it last wrote with
// what the cache holds now, so these helpers make both shapes compare equal. Pure.

/**
 * A metav1.Time as the API holds it: RFC 3339 to the second (the apiserver drops fractions).
 * Accepts a Date or a string; undefined when absent.
 */
export function apiTime(v: unknown): string | undefined {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) return typeof v === 'string' ? v : undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A value in a form that is equal for the typed and the raw shape of an object: Dates as API times,
 * object keys sorted, null, undefined and empty objects dropped (typed objects carry absent
 * fields as undefined; `{}` and an absent struct mean the same here). Values taken from the API on
 * both sides: strings are not reinterpreted (quantities are already canonical there).
 */
export function canonical(v: unknown): unknown {
  if (v instanceof Date) return apiTime(v);
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const c = canonical((v as Record<string, unknown>)[k]);
    if (c === null || c === undefined) continue;
    if (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) continue;
    out[k] = c;
  }
  return out;
}

/**
 * Whether resourceVersion `a` is older than `b`. resourceVersions are opaque by contract; an
 * etcd-backed apiserver's are the etcd revision in decimal, and this is used only to notice that an
 * informer cache has not caught up with one of our own writes yet (so that the older state is not
 * taken for someone else's change). Anything but two decimal integers counts as not older.
 */
export function olderVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
