// Converters from Kubernetes objects (V1Pod, V1Node, V1LimitRange, V1ResourceQuota, or the plain
// JSON an informer delivers) to the read-only views the canary core decides on. Pure: the shell
// passes the objects it has and does no logic of its own. Times may be Date objects
// (@kubernetes/client-node's typed models) or RFC 3339 strings (raw watch JSON).
import { decodeRecord } from '../pod-record.ts';
import { cleanResources, cpuMem, formatUnits, units } from './resources.ts';
import {
  RESOURCES,
  type ContainerSpecView,
  type ContainerStatusView,
  type ContainerView,
  type LimitRangeItemView,
  type NodeView,
  type PodConditionView,
  type PodView,
  type QosClass,
  type QuotaView,
  type ResizeRestartPolicy,
  type ResourceList,
} from './types.ts';

/** The node label that names its zone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

type Time = Date | string | null | undefined;
type Quantities = Readonly<Record<string, string>>;
interface ResourcesLike {
  requests?: Quantities;
  limits?: Quantities;
}
interface ContainerLike {
  name: string;
  resources?: ResourcesLike;
  resizePolicy?: ReadonlyArray<{ resourceName: string; restartPolicy: string }>;
  restartPolicy?: string;
}
interface TerminatedLike {
  reason?: string;
  exitCode?: number;
  finishedAt?: Time;
}
interface ContainerStatusLike {
  name: string;
  ready?: boolean;
  restartCount?: number;
  resources?: ResourcesLike;
  allocatedResources?: Quantities;
  state?: { terminated?: TerminatedLike; waiting?: { reason?: string } };
  lastState?: { terminated?: TerminatedLike };
}
interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Time;
  observedGeneration?: number;
}

/** The parts of a V1Pod the core reads (a V1Pod, or the JSON of one, is assignable). */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: Time;
    deletionTimestamp?: Time;
    generation?: number;
    annotations?: Readonly<Record<string, string>>;
  };
  spec?: {
    nodeName?: string;
    containers?: readonly ContainerLike[];
    initContainers?: readonly ContainerLike[];
    os?: { name?: string };
    resources?: ResourcesLike;
    priorityClassName?: string;
    activeDeadlineSeconds?: number;
  };
  status?: {
    phase?: string;
    qosClass?: string;
    observedGeneration?: number;
    conditions?: readonly ConditionLike[];
    containerStatuses?: readonly ContainerStatusLike[];
  };
}

export function timeMs(t: Time): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function conditionView(c: ConditionLike | undefined): PodConditionView | undefined {
  if (!c) return undefined;
  const status = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  const at = timeMs(c.lastTransitionTime);
  return {
    status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(at === undefined ? {} : { lastTransitionMs: at }),
    ...(c.observedGeneration === undefined ? {} : { observedGeneration: c.observedGeneration }),
  };
}

function specView(c: ContainerLike): ContainerSpecView {
  const policy = (r: string): ResizeRestartPolicy => (c.resizePolicy?.find((p) => p.resourceName === r)?.restartPolicy === 'RestartContainer' ? 'RestartContainer' : 'NotRequired');
  return {
    name: c.name,
    requests: cpuMem(c.resources?.requests) ?? {},
    limits: cpuMem(c.resources?.limits) ?? {},
    resizePolicy: { cpu: policy('cpu'), memory: policy('memory') },
  };
}

function statusView(s: ContainerStatusLike): ContainerStatusView {
  const current = s.state?.terminated;
  const last = s.lastState?.terminated;
  const term = current ?? last;
  const finished = timeMs(term?.finishedAt);
  const allocated = cpuMem(s.allocatedResources);
  return {
    ...(s.resources ? { resources: cleanResources(s.resources) } : {}),
    ...(allocated ? { allocatedResources: allocated } : {}),
    restartCount: s.restartCount ?? 0,
    ready: s.ready === true,
    ...(term
      ? {
          lastTerminated: {
            ...(term.reason ? { reason: term.reason } : {}),
            ...(term.exitCode === undefined ? {} : { exitCode: term.exitCode }),
            ...(finished === undefined ? {} : { finishedAtMs: finished }),
          },
        }
      : {}),
    ...(s.state?.waiting?.reason ? { waitingReason: s.state.waiting.reason } : {}),
  };
}

/**
 * The QoS class Kubernetes computes (pkg/apis/core/helper/qos): BestEffort without any cpu/memory
 * request or limit; Guaranteed when every container (init containers included) has cpu and memory
 * limits and the summed requests equal the summed limits; Burstable otherwise. A missing request
 * counts as equal to its limit, as the apiserver defaults it.
 */
export function qosClassOf(containers: ReadonlyArray<{ requests: ResourceList; limits: ResourceList }>): QosClass {
  const req: Record<string, bigint> = {};
  const lim: Record<string, bigint> = {};
  let guaranteed = true;
  for (const c of containers) {
    for (const r of RESOURCES) {
      const l = units(r, c.limits[r]);
      const q = units(r, c.requests[r]) ?? l;
      if (q !== undefined && q > 0n) req[r] = (req[r] ?? 0n) + q;
      if (l !== undefined && l > 0n) lim[r] = (lim[r] ?? 0n) + l;
      else guaranteed = false;
    }
  }
  if (Object.keys(req).length === 0 && Object.keys(lim).length === 0) return 'BestEffort';
  if (guaranteed) for (const r of Object.keys(req)) if (lim[r] !== req[r]) guaranteed = false;
  return guaranteed && Object.keys(req).length === Object.keys(lim).length ? 'Guaranteed' : 'Burstable';
}

/**
 * A PodView from a pod object. `zoneOfNode` answers the zone label of a node by name (the shell's
 * node cache); the decoded attune record comes from the pod's annotations.
 */
export function podViewFrom(pod: PodLike, zoneOfNode: (nodeName: string) => string | undefined = () => undefined): PodView {
  const md = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  const statuses = new Map((st.containerStatuses ?? []).map((s) => [s.name, s]));
  const containers: ContainerView[] = (spec.containers ?? []).map((c) => {
    const s = statuses.get(c.name);
    return { name: c.name, spec: specView(c), ...(s ? { status: statusView(s) } : {}) };
  });
  const initContainers = (spec.initContainers ?? []).map(specView);
  const qos = st.qosClass === 'Guaranteed' || st.qosClass === 'Burstable' || st.qosClass === 'BestEffort' ? st.qosClass : qosClassOf([...initContainers, ...containers.map((c) => c.spec)]);
  const cond = (type: string) => conditionView(st.conditions?.find((c) => c.type === type));
  const ready = cond('Ready');
  const resizePending = cond('PodResizePending');
  const resizeInProgress = cond('PodResizeInProgress');
  const zone = spec.nodeName ? zoneOfNode(spec.nodeName) : undefined;
  const created = timeMs(md.creationTimestamp);
  return {
    name: md.name ?? '',
    namespace: md.namespace ?? '',
    uid: md.uid ?? '',
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
    ...(zone ? { zone } : {}),
    phase: st.phase ?? 'Unknown',
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null,
    ...(created === undefined ? {} : { createdAtMs: created }),
    ...(md.generation === undefined ? {} : { generation: md.generation }),
    ...(st.observedGeneration === undefined ? {} : { observedGeneration: st.observedGeneration }),
    qosClass: qos,
    conditions: {
      ...(ready ? { ready } : {}),
      // A condition with status other than True is not an active resize state.
      ...(resizePending && resizePending.status === 'True' ? { resizePending } : {}),
      ...(resizeInProgress && resizeInProgress.status === 'True' ? { resizeInProgress } : {}),
    },
    containers,
    initContainers,
    windows: spec.os?.name === 'windows',
    podLevelResources: !!(cpuMem(spec.resources?.requests) || cpuMem(spec.resources?.limits)),
    ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
    ...(spec.activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds: spec.activeDeadlineSeconds }),
    record: decodeRecord(md.annotations),
  };
}

/** The zone label of a node object. */
export function zoneOf(node: { metadata?: { labels?: Readonly<Record<string, string>> } } | undefined): string | undefined {
  return node?.metadata?.labels?.[ZONE_LABEL];
}

/**
 * A pod's allocated requests as the kubelet counts them when admitting a resize: per container the
 * allocated requests (status.allocatedResources), else the spec requests; init containers that
 * run to completion only count when larger than everything else (the effective request).
 */
export function podAllocatedRequests(pod: PodLike): { cpu: bigint; memory: bigint } {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const out = { cpu: 0n, memory: 0n };
  const sidecarSum = { cpu: 0n, memory: 0n };
  const initMax = { cpu: 0n, memory: 0n };
  for (const c of pod.spec?.initContainers ?? []) {
    for (const r of RESOURCES) {
      const v = units(r, c.resources?.requests?.[r]) ?? 0n;
      if (c.restartPolicy === 'Always') sidecarSum[r] += v;
      else if (sidecarSum[r] + v > initMax[r]) initMax[r] = sidecarSum[r] + v;
    }
  }
  for (const c of pod.spec?.containers ?? []) {
    const alloc = statuses.get(c.name)?.allocatedResources;
    for (const r of RESOURCES) out[r] += units(r, alloc?.[r] ?? c.resources?.requests?.[r]) ?? 0n;
  }
  for (const r of RESOURCES) {
    out[r] += sidecarSum[r];
    if (initMax[r] > out[r]) out[r] = initMax[r];
  }
  return out;
}

/** A NodeView: the node's allocatable, and the allocated requests of its non-terminal pods. */
export function nodeViewFrom(
  node: { metadata?: { name?: string }; status?: { allocatable?: Quantities } },
  podsOnNode: readonly PodLike[],
): NodeView {
  const name = node.metadata?.name ?? '';
  const sum = { cpu: 0n, memory: 0n };
  for (const p of podsOnNode) {
    if (p.spec?.nodeName !== name) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const a = podAllocatedRequests(p);
    sum.cpu += a.cpu;
    sum.memory += a.memory;
  }
  return {
    name,
    allocatable: cpuMem(node.status?.allocatable) ?? {},
    allocated: { cpu: formatUnits('cpu', sum.cpu), memory: formatUnits('memory', sum.memory) },
  };
}

/** The items of the namespace's LimitRanges. */
export function limitRangeItemsFrom(
  ranges: ReadonlyArray<{ spec?: { limits?: ReadonlyArray<{ type?: string; min?: Quantities; max?: Quantities; maxLimitRequestRatio?: Quantities }> } }>,
): LimitRangeItemView[] {
  return ranges.flatMap((r) =>
    (r.spec?.limits ?? []).map((l) => {
      const min = cpuMem(l.min);
      const max = cpuMem(l.max);
      const ratio = cpuMem(l.maxLimitRequestRatio);
      return { type: l.type ?? '', ...(min ? { min } : {}), ...(max ? { max } : {}), ...(ratio ? { maxLimitRequestRatio: ratio } : {}) };
    }),
  );
}

/** The namespace's ResourceQuotas: hard and used from status (spec.hard when status is not there yet). */
export function quotaViewsFrom(
  quotas: ReadonlyArray<{
    metadata?: { name?: string };
    spec?: { hard?: Quantities; scopes?: readonly string[]; scopeSelector?: { matchExpressions?: ReadonlyArray<{ scopeName: string; operator: string; values?: readonly string[] }> } };
    status?: { hard?: Quantities; used?: Quantities };
  }>,
): QuotaView[] {
  return quotas.map((q) => ({
    name: q.metadata?.name ?? '',
    hard: { ...(q.status?.hard ?? q.spec?.hard ?? {}) },
    used: { ...(q.status?.used ?? {}) },
    ...(q.spec?.scopes?.length ? { scopes: [...q.spec.scopes] } : {}),
    ...(q.spec?.scopeSelector?.matchExpressions?.length ? { scopeSelector: q.spec.scopeSelector.matchExpressions.map((e) => ({ ...e })) } : {}),
  }));
}
