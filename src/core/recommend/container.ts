// Per-container entry points of the recommendation core.
import { estimate } from './chain.ts';
import type { ContainerInput, ContainerRecommendation } from './types.ts';

/** Runs the estimator chain for a container's cpu and memory. Pure; never throws. */
export function recommendContainer(input: ContainerInput): ContainerRecommendation {
  const cpu = estimate({ ...input.cpu, resource: 'cpu' });
  const memory = estimate({ ...input.memory, resource: 'memory' });
  return { cpu, memory, changed: (cpu.ok && cpu.changed) || (memory.ok && memory.changed) };
}

/**
 * Whether a recommendation last updated at `lastUpdatedMs` is too old to act on at `nowMs`: its age
 * is strictly more than `maxAgeMs`. Unknown or invalid timestamps count as stale (a recommendation
 * whose age cannot be shown is not trusted); a timestamp in the future (clock skew) counts as fresh.
 */
export function isStale(lastUpdatedMs: number | undefined, nowMs: number, maxAgeMs: number): boolean {
  if (lastUpdatedMs === undefined || !Number.isFinite(lastUpdatedMs) || !Number.isFinite(nowMs) || !(maxAgeMs >= 0)) return true;
  return nowMs - lastUpdatedMs > maxAgeMs;
}
