// What the simulated kubelet knows about one pod, the pod status a 1.35 kubelet would report for
// it, the patch that writes it, and the comparison with the API's status the kubelet's status
// manager makes. Pure: the shell (simulated-kubelet.ts) owns the mutable map of these and writes
// the status only when it changed or the API's differs.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { EXIT_CODES, initialState, isReady, isRunning, type ContainerState } from '../sim/container-model.ts';
import { readFaults, type FaultMemory } from '../sim/faults.ts';
import { PROFILE_ANNOTATION, profileFor, type ContainerProfile, type PodProfile } from '../sim/profile.ts';
import { parseQuantity } from '../sim/units.ts';
import { apiTime, canonical, olderVersion } from './api-values.ts';
import type { ResourceList } from './resize-admission.ts';

export interface ContainerResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ContainerSim {
  name: string;
  image: string;
  /** Admitted requests (status.containerStatuses[].allocatedResources). */
  allocated: ResourceList;
  /** What the runtime applied (status.containerStatuses[].resources). */
  actual: ContainerResources;
  profile: ContainerProfile;
  sim: ContainerState;
}

export type ResizeCondition =
  | { type: 'PodResizePending'; reason: 'Deferred' | 'Infeasible'; message: string; generation: number; sinceMs: number }
  | { type: 'PodResizeInProgress'; reason?: 'Error'; message?: string; generation: number; sinceMs: number };

export interface PodSim {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  podIP: string;
  startedAtMs: number;
  /** Simulated time up to which the usage model has run. */
  steppedToMs: number;
  /** Latest metadata.generation seen, and the one the status reflects. */
  generation: number;
  observedGeneration: number;
  containers: ContainerSim[];
  resize?: ResizeCondition;
  ready: boolean;
  readyChangedAtMs: number;
  /** Set once deletion started: containers are stopping, the pod is no longer Ready. */
  terminatingSinceMs?: number;
  /** The usage-profile annotation last seen (applied, or rejected with a Warning): a change of it
   * switches the containers' profiles. */
  profileAnnotation?: string;
  /** The fault-injection annotations last seen and the tokens acted on (hack/sim/faults.ts). */
  faults: FaultMemory;
}

/** cpu and memory only: the resources a kubelet reports and in-place resize changes. */
export function cpuMem(list: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const k of ['cpu', 'memory']) if (list[k] !== undefined) out[k] = list[k];
  return Object.keys(out).length ? out : undefined;
}

export function specResources(pod: V1Pod, container: string): ContainerResources {
  const c = pod.spec?.containers.find((x) => x.name === container);
  const requests = cpuMem(c?.resources?.requests);
  const limits = cpuMem(c?.resources?.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** `profile` is the parsed `profileAnnotation` (undefined when absent or invalid); the fault
 * annotations present now are only recorded (see hack/sim/faults.ts). */
export function newPodSim(pod: V1Pod, profile: PodProfile | undefined, podIP: string, nowMs: number): PodSim {
  const generation = pod.metadata?.generation ?? 1;
  const annotations = pod.metadata?.annotations;
  const profileAnnotation = annotations?.[PROFILE_ANNOTATION];
  return {
    uid: pod.metadata!.uid!,
    namespace: pod.metadata!.namespace!,
    name: pod.metadata!.name!,
    node: pod.spec!.nodeName!,
    podIP,
    startedAtMs: nowMs,
    steppedToMs: nowMs,
    generation,
    observedGeneration: generation,
    containers: (pod.spec?.containers ?? []).map((c) => {
      const actual = specResources(pod, c.name);
      return { name: c.name, image: c.image ?? '', allocated: actual.requests, actual, profile: profileFor(profile, c.name), sim: initialState(nowMs) };
    }),
    ready: true,
    readyChangedAtMs: nowMs,
    ...(profileAnnotation === undefined ? {} : { profileAnnotation }),
    faults: readFaults(undefined, annotations, (pod.spec?.containers ?? []).map((c) => c.name)).memory,
  };
}

/** A resource list as numbers: cores and bytes. */
export function resourceNumbers(list: Record<string, string> | undefined): { cpuCores?: number; memoryBytes?: number } {
  const cpu = list?.cpu === undefined ? undefined : parseQuantity(list.cpu);
  const mem = list?.memory === undefined ? undefined : parseQuantity(list.memory);
  return { ...(cpu === undefined ? {} : { cpuCores: cpu }), ...(mem === undefined ? {} : { memoryBytes: mem }) };
}

/** Limits as numbers for the usage model. */
export function limitsOf(c: ContainerSim): { cpuCores?: number; memoryBytes?: number } {
  return resourceNumbers(c.actual.limits);
}

/** The noise seed of a container: the live model and the backfill must agree on it. */
export const containerSeed = (p: PodSim, c: ContainerSim): string => `${p.uid}/${c.name}`;

export function podReady(p: PodSim): boolean {
  return p.terminatingSinceMs === undefined && p.containers.every((c) => isReady(c.sim, c.profile));
}

const iso = (ms: number) => new Date(ms).toISOString();
const hashHex = (s: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};

/** The `status` a kubelet would write for this pod (a merge patch: arrays are complete). */
export function podStatus(p: PodSim) {
  const cond = (type: string, status: boolean, sinceMs: number, extra: Record<string, unknown> = {}) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: iso(sinceMs),
    observedGeneration: p.observedGeneration,
    ...extra,
  });
  const containerReady = (c: ContainerSim) => p.terminatingSinceMs === undefined && isReady(c.sim, c.profile);
  const notReady = p.containers.filter((c) => !containerReady(c)).map((c) => c.name);
  const readyExtra = p.ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` };
  const conditions: Array<{ type: string } & Record<string, unknown>> = [
    cond('PodReadyToStartContainers', true, p.startedAtMs),
    cond('Initialized', true, p.startedAtMs),
    cond('Ready', p.ready, p.readyChangedAtMs, readyExtra),
    cond('ContainersReady', p.ready, p.readyChangedAtMs, readyExtra),
    cond('PodScheduled', true, p.startedAtMs),
  ];
  if (p.resize) {
    conditions.push({
      type: p.resize.type,
      status: 'True',
      lastProbeTime: iso(p.resize.sinceMs),
      lastTransitionTime: iso(p.resize.sinceMs),
      observedGeneration: p.resize.generation,
      ...(p.resize.reason ? { reason: p.resize.reason } : {}),
      ...(p.resize.message ? { message: p.resize.message } : {}),
    });
  }
  return {
    status: {
      phase: 'Running',
      observedGeneration: p.observedGeneration,
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: p.podIP,
      podIPs: [{ ip: p.podIP }],
      startTime: iso(p.startedAtMs),
      conditions,
      containerStatuses: p.containers.map((c) => {
        const running = isRunning(c.sim);
        return {
          name: c.name,
          image: c.image,
          imageID: `${c.image}@sha256:${hashHex(c.image).repeat(8)}`,
          containerID: `attune-sim://${hashHex(`${p.uid}/${c.name}`).repeat(8)}`,
          ready: containerReady(c),
          started: running,
          restartCount: c.sim.restarts,
          state: running
            ? { running: { startedAt: iso(c.sim.startedAtMs) } }
            : { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${c.name} pod=${p.name}_${p.namespace}(${p.uid})` } },
          lastState:
            c.sim.lastTerminatedReason !== undefined && c.sim.lastTerminatedAtMs !== undefined
              ? {
                  terminated: {
                    exitCode: EXIT_CODES[c.sim.lastTerminatedReason],
                    reason: c.sim.lastTerminatedReason,
                    finishedAt: iso(c.sim.lastTerminatedAtMs),
                    containerID: `attune-sim://${hashHex(`${p.uid}/${c.name}/${c.sim.restarts - 1}`).repeat(8)}`,
                  },
                }
              : {},
          resources: c.actual,
          ...(c.allocated ? { allocatedResources: c.allocated } : {}),
        };
      }),
    },
  };
}

/** Pod condition types the kubelet owns (pkg/kubelet/types PodConditionsByKubelet, with
 * PodReadyToStartContainers): its status writes set them and its status sync restores them. */
export const KUBELET_POD_CONDITIONS: ReadonlySet<string> = new Set([
  'PodScheduled',
  'Ready',
  'Initialized',
  'ContainersReady',
  'PodReadyToStartContainers',
  'PodResizePending',
  'PodResizeInProgress',
]);
const RESIZE_CONDITIONS = ['PodResizePending', 'PodResizeInProgress'] as const;

/**
 * The strategic-merge patch of the status subresource that makes the API show `podStatus(p)`, as
 * the kubelet's status manager sends it: conditions merge by type, so conditions other components
 * own (readiness gates, DisruptionTarget from a taint eviction) stay; each of ours is written whole
 * (a reason or message it lacks is removed, not left from someone else's write); a resize condition
 * the pod no longer has is deleted; a pod-level reason or message (the node controller's NodeLost)
 * is cleared, as a running pod's kubelet status has none. containerStatuses is atomic: replaced.
 */
export function statusPatch(p: PodSim) {
  const { status } = podStatus(p);
  const present = new Set(status.conditions.map((c) => c.type));
  const conditions: Array<{ type: string } & Record<string, unknown>> = [
    ...status.conditions.map((c) => ({ reason: null, message: null, ...c })),
    ...RESIZE_CONDITIONS.filter((t) => !present.has(t)).map((type) => ({ type, $patch: 'delete' })),
  ];
  return { status: { ...status, reason: null, message: null, conditions } };
}

/**
 * The pod status as far as the kubelet's status manager compares it (isPodStatusByKubeletEqual):
 * the conditions it owns by type, status, reason and message only (not times), and the rest of what
 * it writes — phase, reason, message, observedGeneration, IPs, start time, container statuses —
 * whole. Two statuses the apiserver returned have equal keys exactly when the kubelet would see
 * nothing to reconcile; conditions of other owners do not count. Accepts typed and raw objects.
 */
export function kubeletStatusKey(status: V1PodStatus | undefined): string {
  const conditions = (status?.conditions ?? [])
    .filter((c) => KUBELET_POD_CONDITIONS.has(c.type))
    .map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  const containers = (status?.containerStatuses ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: c.imageID,
    containerID: c.containerID,
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState,
    resources: c.resources,
    allocatedResources: c.allocatedResources,
  }));
  return JSON.stringify(
    canonical({
      phase: status?.phase,
      reason: status?.reason,
      message: status?.message,
      observedGeneration: status?.observedGeneration,
      hostIP: status?.hostIP,
      hostIPs: status?.hostIPs,
      podIP: status?.podIP,
      podIPs: status?.podIPs,
      startTime: apiTime(status?.startTime),
      conditions,
      containers,
    }),
  );
}

/** The API's side of the kubelet's last accepted status write of a pod. */
export interface WrittenStatus {
  resourceVersion: string | undefined;
  /** kubeletStatusKey of the status the apiserver returned. */
  key: string;
}

/**
 * The status sync's verdict on one pod, from the informer's copy of it (`cached`):
 *  - `gone`: not in the cache, or another pod of that name;
 *  - `same`: the very object our last write returned — nothing to compare (almost every pod);
 *  - `behind`: older than our last write: the watch has not delivered it yet, so its status is not
 *    someone else's change;
 *  - `status-same`: changed since (metadata, spec) but its status is the kubelet's — the caller
 *    remembers its resourceVersion, back to `same` on the next pass;
 *  - `differs`: someone else changed the status: the kubelet writes its own again.
 */
export function statusSyncVerdict(written: WrittenStatus, cached: V1Pod | undefined, uid: string): 'gone' | 'same' | 'behind' | 'status-same' | 'differs' {
  if (!cached || cached.metadata?.uid !== uid) return 'gone';
  const rv = cached.metadata.resourceVersion;
  if (rv === written.resourceVersion) return 'same';
  if (olderVersion(rv, written.resourceVersion)) return 'behind';
  return kubeletStatusKey(cached.status) === written.key ? 'status-same' : 'differs';
}
