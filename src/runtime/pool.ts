// Runs `fn` over `items` with at most `limit` calls in flight; resolves when all are done. `fn`
// must not throw (callers map failures to values), so one failure never strands the others.
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
