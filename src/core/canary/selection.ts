// Canary selection (issue 5 §1): the first wave is ceil(percentage × eligible / 100) pods, at least
// one, spread across zones and nodes instead of taken in list order. Greedy round-robin: each
// pick goes to the zone with the fewest picks so far, within it to the node with the fewest picks,
// ties broken by a stable hash of (cycle id, pod name) — the same cycle always picks the same
// pods, another cycle picks others. Pure.
import type { PodView } from './types.ts';

/** ceil(percentage × eligible / 100), at least one pod, at most every pod; 0 when none is eligible. */
export function canaryCount(percentage: number, eligible: number): number {
  if (eligible <= 0) return 0;
  const p = Math.min(100, Math.max(0, Math.trunc(percentage)));
  const n = Math.floor((p * eligible + 99) / 100); // exact integer ceil
  return Math.min(eligible, Math.max(1, n));
}

/** FNV-1a (32 bit) of `${cycleId}/${name}`: stable across processes and versions. */
export function stableHash(cycleId: string, name: string): number {
  const s = `${cycleId}/${name}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface SelectionInput {
  /** Pods that may be picked (eligible now). */
  candidates: readonly PodView[];
  percentage: number;
  cycleId: string;
  /** Pods already in the subset (resized in this cycle, or recorded in status.canary.pods): they stay, and count as eligible. */
  stay?: readonly PodView[];
  /** Names picked before the others (e.g. pods an earlier cycle of this policy resized). */
  prefer?: ReadonlySet<string>;
}

/** The canary subset's pod names: `stay` first, then picks in order. */
export function selectCanary(input: SelectionInput): string[] {
  const stay = input.stay ?? [];
  const stayNames = new Set(stay.map((p) => p.name));
  const pool = input.candidates.filter((p) => !stayNames.has(p.name));
  const count = canaryCount(input.percentage, pool.length + stay.length);
  const chosen = stay.map((p) => p.name);
  const zoneCount = new Map<string, number>();
  const nodeCount = new Map<string, number>();
  const take = (p: PodView) => {
    zoneCount.set(p.zone ?? '', (zoneCount.get(p.zone ?? '') ?? 0) + 1);
    nodeCount.set(p.nodeName ?? '', (nodeCount.get(p.nodeName ?? '') ?? 0) + 1);
  };
  stay.forEach(take);
  const prefer = input.prefer ?? new Set<string>();
  const key = (p: PodView) => [prefer.has(p.name) ? 0 : 1, zoneCount.get(p.zone ?? '') ?? 0, nodeCount.get(p.nodeName ?? '') ?? 0, stableHash(input.cycleId, p.name)] as const;
  const left = [...pool];
  while (chosen.length < count && left.length > 0) {
    let best = 0;
    let bestKey = key(left[0]!);
    for (let i = 1; i < left.length; i++) {
      const k = key(left[i]!);
      const cmp = k[0] - bestKey[0] || k[1] - bestKey[1] || k[2] - bestKey[2] || k[3] - bestKey[3] || (left[i]!.name < left[best]!.name ? -1 : 1);
      if (cmp < 0) {
        best = i;
        bestKey = k;
      }
    }
    const [p] = left.splice(best, 1);
    chosen.push(p!.name);
    take(p!);
  }
  return chosen;
}
