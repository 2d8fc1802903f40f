// Whether a newly decided status differs from the stored one, ignoring key order (the apiserver
// may return keys in another order than we built them).

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

export function statusChanged(stored: unknown, next: unknown): boolean {
  return JSON.stringify(canonical(stored ?? {})) !== JSON.stringify(canonical(next));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The JSON merge patch (RFC 7386) turning `before` into `after`: changed and new keys set, keys
 * that went away set to null, nested objects patched the same way, arrays replaced whole.
 */
export function mergePatchFrom(before: unknown, after: Record<string, unknown>): Record<string, unknown> {
  const old = isObject(before) ? before : {};
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(old)) if (after[k] === undefined) patch[k] = null;
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    if (isObject(v) && isObject(old[k])) {
      const inner = mergePatchFrom(old[k], v);
      if (Object.keys(inner).length) patch[k] = inner;
    } else if (JSON.stringify(v) !== JSON.stringify(old[k])) patch[k] = v;
  }
  return patch;
}
