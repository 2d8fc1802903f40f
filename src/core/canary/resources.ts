// Quantity helpers for resizes: cpu in millicores and memory in bytes (exact BigInt), value
// comparison ("1000m" = "1"), the tolerance a kubelet's report may differ by, and "from → to" text.
import { formatCpu, formatMemory, toBytes, toMillicores } from '../quantity.ts';
import { RESOURCES, type ContainerResources, type ResourceList, type ResourceName } from './types.ts';

/** Millicores (cpu) or bytes (memory); undefined when absent or not a quantity. */
export function units(resource: ResourceName, q: string | undefined): bigint | undefined {
  if (q === undefined) return undefined;
  return resource === 'cpu' ? toMillicores(q) : toBytes(q);
}

export function formatUnits(resource: ResourceName, v: bigint): string {
  return resource === 'cpu' ? formatCpu(v) : formatMemory(v);
}

/** The cpu and memory entries of a resource list (others dropped); undefined when none. */
export function cpuMem(list: Readonly<Record<string, string>> | undefined): ResourceList | undefined {
  if (!list) return undefined;
  const out: ResourceList = {};
  for (const r of RESOURCES) if (typeof list[r] === 'string') out[r] = list[r];
  return Object.keys(out).length ? out : undefined;
}

/** {requests?, limits?} with cpu/memory only and no empty maps. */
export function cleanResources(r: { requests?: Readonly<Record<string, string>>; limits?: Readonly<Record<string, string>> } | undefined): ContainerResources {
  const requests = cpuMem(r?.requests);
  const limits = cpuMem(r?.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Equal by value; two absent values are equal, an absent and a present one are not. */
export function sameQuantity(resource: ResourceName, a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = units(resource, a);
  const y = units(resource, b);
  return x !== undefined && x === y;
}

/** Same cpu/memory requests and limits, by value. */
export function sameResources(a: ContainerResources | undefined, b: ContainerResources | undefined): boolean {
  return RESOURCES.every((r) => sameQuantity(r, a?.requests?.[r], b?.requests?.[r]) && sameQuantity(r, a?.limits?.[r], b?.limits?.[r]));
}

/**
 * How far a kubelet's report may be from the spec and still count as the spec: CPU goes through
 * cgroup shares and a quota the systemd driver rounds to 10ms per second (10m); memory may be
 * page-aligned (4 KiB).
 */
export const TOLERANCE: Readonly<Record<ResourceName, bigint>> = { cpu: 10n, memory: 4096n };

/** `reported` matches `desired` within TOLERANCE. An absent report never matches a present desire. */
export function reportedMatches(resource: ResourceName, desired: string | undefined, reported: string | undefined): boolean {
  if (desired === undefined) return true; // nothing asked for; the kubelet may report a default
  const d = units(resource, desired);
  const r = units(resource, reported);
  if (d === undefined || r === undefined) return false;
  const diff = d > r ? d - r : r - d;
  return diff <= TOLERANCE[resource];
}

/** Ceil(a × b / c) for non-negative BigInts (c > 0). */
export function mulDivCeil(a: bigint, b: bigint, c: bigint): bigint {
  const n = a * b;
  return (n + c - 1n) / c;
}

const MI = 1n << 20n;

/** Rounds up to attune's grid: 1m for cpu, 1Mi for memory (as the recommendation does). */
export function roundUpToGrid(resource: ResourceName, v: bigint): bigint {
  if (resource === 'cpu') return v;
  return ((v + MI - 1n) / MI) * MI;
}

/** "cpu 500m → 250m, memory limit 1Gi → 768Mi" for one container; only what changed. */
export function describeChange(from: ContainerResources, to: ContainerResources): string {
  const parts: string[] = [];
  for (const kind of ['requests', 'limits'] as const) {
    for (const r of RESOURCES) {
      const a = from[kind]?.[r];
      const b = to[kind]?.[r];
      if (sameQuantity(r, a, b)) continue;
      parts.push(`${r}${kind === 'limits' ? ' limit' : ''} ${a ?? 'none'} → ${b ?? 'none'}`);
    }
  }
  return parts.length ? parts.join(', ') : 'no change';
}

/** "app: cpu 500m → 250m; side: memory 128Mi → 96Mi" for a pod. */
export function describePodChange(from: Readonly<Record<string, ContainerResources>>, to: Readonly<Record<string, ContainerResources>>): string {
  return Object.keys(to)
    .map((c) => `${c}: ${describeChange(from[c] ?? {}, to[c] ?? {})}`)
    .join('; ');
}
