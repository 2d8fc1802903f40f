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
