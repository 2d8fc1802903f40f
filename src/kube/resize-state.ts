// Where an in-place resize of a pod stands, read from the pod alone (pure): what the kubelet reports
// through status.observedGeneration, the PodResizePending / PodResizeInProgress conditions and each
// container's status.resources (shared/research/inplace-api.md §5 and §8).
//
//   applied      the kubelet has observed the pod's current generation, every container's
//                status.resources equal its spec resources (and the target, when one is given), and
//                no resize condition is present;
//   deferred     PodResizePending/Deferred for the current generation: fits the node, not now;
//   infeasible   PodResizePending/Infeasible for the current generation: never retried;
//   error        PodResizeInProgress/Error: actuation failed (e.g. memory limit below usage);
//   in-progress  anything else: not observed yet, being actuated, or status not caught up.
//
// Quantities are compared by value ("1000m" equals "1", "1024Mi" equals "1Gi"): the apiserver
// canonicalises what it stores. Only cpu and memory are compared: the resources a resize changes.
import { compareQuantities, parseQuantity } from '../core/quantity.ts';
import type { ContainerResources, ResourceList } from '../core/pod-record.ts';
import type { SlimPod } from './slim.ts';

export type ResizeState = 'applied' | 'in-progress' | 'deferred' | 'infeasible' | 'error';

export interface ResizeStateReport {
  state: ResizeState;
  /** The kubelet's condition message (deferred, infeasible, error), or why it is still in progress. */
  message?: string;
}

/** Desired resources per container: absolute cpu/memory values, for the named containers only. */
export type ResizeTarget = ReadonlyArray<{ name: string; resources: ContainerResources }>;

export const RESIZE_PENDING = 'PodResizePending';
export const RESIZE_IN_PROGRESS = 'PodResizeInProgress';
export const RESIZABLE: readonly string[] = ['cpu', 'memory'];
const KINDS = ['requests', 'limits'] as const;

/** True when two quantities are equal by value (strings that do not parse compare as strings). */
export function sameQuantity(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa && qb ? compareQuantities(qa, qb) === 0 : a === b;
}

/** The first cpu/memory difference between two resource sets, as "requests.cpu: 200m ≠ 1"; undefined when equal. */
export function resourceDifference(actual: ContainerResources | undefined, desired: ContainerResources | undefined, keys?: ContainerResources): string | undefined {
  for (const kind of KINDS) {
    for (const res of RESIZABLE) {
      if (keys && keys[kind]?.[res] === undefined) continue;
      const a = actual?.[kind]?.[res];
      const d = desired?.[kind]?.[res];
      if (!sameQuantity(a, d)) return `${kind}.${res}: ${a ?? 'unset'} ≠ ${d ?? 'unset'}`;
    }
  }
  return undefined;
}

/** A container's resources as recorded: requests and limits, whatever keys they hold. */
export function resourcesOf(r: { requests?: ResourceList; limits?: ResourceList } | undefined): ContainerResources {
  return { ...(r?.requests ? { requests: r.requests } : {}), ...(r?.limits ? { limits: r.limits } : {}) };
}

export function resizeState(pod: SlimPod, target?: ResizeTarget): ResizeStateReport {
  const generation = pod.metadata?.generation;
  const observed = pod.status?.observedGeneration;
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.status === 'True');
  const find = (type: string) => conditions.find((c) => c.type === type);
  const atLeast = (g: number | undefined) => generation === undefined || (g !== undefined && g >= generation);

  // A pending condition counts only for the generation it was attempted at: an older one is a
  // leftover the kubelet has not re-evaluated yet.
  const pending = find(RESIZE_PENDING);
  if (pending && atLeast(pending.observedGeneration ?? observed)) {
    const message = pending.message ?? pending.reason ?? RESIZE_PENDING;
    return pending.reason === 'Infeasible' ? { state: 'infeasible', message } : { state: 'deferred', message };
  }
  const inProgress = find(RESIZE_IN_PROGRESS);
  if (inProgress?.reason === 'Error' && (atLeast(inProgress.observedGeneration) || atLeast(observed))) {
    return { state: 'error', message: inProgress.message ?? 'resize actuation failed' };
  }

  if (!atLeast(observed)) return { state: 'in-progress', message: `the kubelet has not observed generation ${generation} yet (observed ${observed ?? 'none'})` };
  if (pending) return { state: 'in-progress', message: `${RESIZE_PENDING} from an earlier generation (${pending.observedGeneration ?? '?'})` };
  if (inProgress) return { state: 'in-progress', message: inProgress.message ?? 'the kubelet is actuating the resize' };

  const statuses = pod.status?.containerStatuses ?? [];
  for (const t of target ?? []) {
    const spec = pod.spec?.containers.find((c) => c.name === t.name);
    if (!spec) return { state: 'in-progress', message: `container ${t.name} is not in the pod` };
    const diff = resourceDifference(resourcesOf(spec.resources), t.resources, t.resources);
    if (diff) return { state: 'in-progress', message: `container ${t.name}: the spec is not at the target (${diff})` };
  }
  for (const c of pod.spec?.containers ?? []) {
    const status = statuses.find((s) => s.name === c.name);
    if (!status?.resources) return { state: 'in-progress', message: `container ${c.name} reports no resources yet` };
    const diff = resourceDifference(resourcesOf(status.resources), resourcesOf(c.resources));
    if (diff) return { state: 'in-progress', message: `container ${c.name}: status resources are not the spec yet (${diff})` };
  }
  return { state: 'applied' };
}
