// The kubelet's admission decision for an in-place resize, as a pure function (Kubernetes 1.35,
// pkg/kubelet/allocation: canResizePod / handlePodResourcesResize; see
// shared/research/inplace-api.md §4–5):
//  - the pod's new requests exceed what the node could ever hold (allocatable)  → Infeasible;
//  - they exceed allocatable minus what the node's other pods have allocated   → Deferred (retried
//    when room frees);
//  - otherwise the resize is admitted: allocatedResources take the new requests at once and the
//    runtime actuates them (PodResizeInProgress).
// Actuation of a memory-limit decrease fails while the container uses more than the new limit (the
// kubelet's best-effort check since 1.34): PodResizeInProgress with reason Error, retried.
import { parseQuantity } from '../sim/units.ts';

/** CPU in millicores and memory in bytes: integers, so sums are exact. */
export interface Amounts {
  cpuMillis: number;
  memoryBytes: number;
}

export type ResourceList = Record<string, string> | undefined;

export const ZERO: Amounts = Object.freeze({ cpuMillis: 0, memoryBytes: 0 });

export function amounts(list: ResourceList): Amounts {
  const cpu = list?.cpu === undefined ? 0 : (parseQuantity(list.cpu) ?? 0);
  const mem = list?.memory === undefined ? 0 : (parseQuantity(list.memory) ?? 0);
  return { cpuMillis: Math.round(cpu * 1000), memoryBytes: Math.round(mem) };
}

export const add = (a: Amounts, b: Amounts): Amounts => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes });
export const sum = (xs: readonly Amounts[]): Amounts => xs.reduce(add, ZERO);

export type Admission =
  | { kind: 'Admit' }
  | { kind: 'Infeasible'; message: string }
  | { kind: 'Deferred'; message: string };

const fmt = (resource: 'cpu' | 'memory', v: number) => (resource === 'cpu' ? `${v}m` : String(v));

export function admitResize(allocatable: Amounts, othersAllocated: Amounts, podRequests: Amounts): Admission {
  for (const [res, key] of [['cpu', 'cpuMillis'], ['memory', 'memoryBytes']] as const) {
    if (podRequests[key] > allocatable[key]) {
      return { kind: 'Infeasible', message: `Node didn't have enough capacity: ${res}, requested: ${fmt(res, podRequests[key])}, capacity: ${fmt(res, allocatable[key])}` };
    }
  }
  for (const [res, key] of [['cpu', 'cpuMillis'], ['memory', 'memoryBytes']] as const) {
    if (podRequests[key] + othersAllocated[key] > allocatable[key]) {
      return {
        kind: 'Deferred',
        message: `Node didn't have enough resource: ${res}, requested: ${fmt(res, podRequests[key])}, used: ${fmt(res, othersAllocated[key])}, capacity: ${fmt(res, allocatable[key])}`,
      };
    }
  }
  return { kind: 'Admit' };
}

/**
 * The containers whose actuation must fail now: a memory limit lowered below the container's
 * current working set. Returns the message for PodResizeInProgress/Error, or undefined.
 */
export function memoryLimitDecreaseError(
  containers: ReadonlyArray<{ name: string; actualLimitBytes?: number; desiredLimitBytes?: number; workingSetBytes: number }>,
): string | undefined {
  for (const c of containers) {
    if (c.desiredLimitBytes === undefined || c.actualLimitBytes === undefined) continue;
    if (c.desiredLimitBytes < c.actualLimitBytes && c.workingSetBytes > c.desiredLimitBytes) {
      return `attempting to set container "${c.name}" memory limit (${c.desiredLimitBytes}) below current usage (${Math.round(c.workingSetBytes)})`;
    }
  }
  return undefined;
}

/**
 * Order in which a node actuates admitted resizes: pods whose total requests shrink first (they
 * free room), then the rest; ties by admission time. One pod at a time.
 */
export function actuationOrder<T extends { delta: Amounts; admittedAtMs: number }>(pending: readonly T[]): T[] {
  const shrinks = (t: T) => (t.delta.cpuMillis < 0 || t.delta.memoryBytes < 0) && t.delta.cpuMillis <= 0 && t.delta.memoryBytes <= 0;
  return [...pending].sort((a, b) => Number(shrinks(b)) - Number(shrinks(a)) || a.admittedAtMs - b.admittedAtMs);
}
