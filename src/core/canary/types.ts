// Types of the canary core (issue 5): the read-only view of a pod the shell builds, the cluster
// facts a resize must respect, and the plan the pure decision returns. No logic lives here.
//
// Times are epoch milliseconds (numbers) inside the core; the status and the pod record keep
// RFC 3339 strings, because that is what Kubernetes stores.
import type { ResizePolicySpec } from '../../api/spec.ts';
import type { CanaryStatus, ResizeEvent, ResizePolicyStatus, WorkloadStatus } from '../../api/status.ts';
import type { ContainerResources, DecodedRecord, PodRecord, ResourceList } from '../pod-record.ts';

export type { ContainerResources, ResourceList };

/** The two resources a resize may change. */
export type ResourceName = 'cpu' | 'memory';
export const RESOURCES: readonly ResourceName[] = ['cpu', 'memory'];

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';
export type ResizeRestartPolicy = 'NotRequired' | 'RestartContainer';

/** A pod condition, reduced to what the core reads. */
export interface PodConditionView {
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  /** lastTransitionTime, epoch ms. */
  lastTransitionMs?: number;
  observedGeneration?: number;
}

export interface ContainerSpecView {
  name: string;
  /** cpu/memory requests and limits from spec (other resources dropped). */
  requests: ResourceList;
  limits: ResourceList;
  /** Per resource; absent entries default to NotRequired, as the apiserver defaults them. */
  resizePolicy: Record<ResourceName, ResizeRestartPolicy>;
}

export interface ContainerStatusView {
  /** status.containerStatuses[].resources (actual), cpu/memory only; undefined when the kubelet does not report it. */
  resources?: ContainerResources;
  /** status.containerStatuses[].allocatedResources (requests only), cpu/memory only. */
  allocatedResources?: ResourceList;
  restartCount: number;
  ready: boolean;
  /** The most recent termination: state.terminated, else lastState.terminated. */
  lastTerminated?: { reason?: string; exitCode?: number; finishedAtMs?: number };
  /** state.waiting.reason (e.g. CrashLoopBackOff). */
  waitingReason?: string;
}

export interface ContainerView {
  name: string;
  spec: ContainerSpecView;
  /** Absent until the kubelet reports the container. */
  status?: ContainerStatusView;
}

/** Everything the core reads about one pod. Built by podViewFrom; never mutated. */
export interface PodView {
  name: string;
  namespace: string;
  uid: string;
  nodeName?: string;
  /** The zone of the pod's node (label topology.kubernetes.io/zone), filled in by the shell. */
  zone?: string;
  /** status.phase: Pending | Running | Succeeded | Failed | Unknown. */
  phase: string;
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
  createdAtMs?: number;
  /** metadata.generation (1.33+ bumps it on every resize). */
  generation?: number;
  /** status.observedGeneration (1.34+); undefined on clusters that do not report it. */
  observedGeneration?: number;
  /** status.qosClass, or computed from the spec when the status does not carry it yet. */
  qosClass: QosClass;
  conditions: {
    ready?: PodConditionView;
    /** PodResizePending: reason Deferred | Infeasible. */
    resizePending?: PodConditionView;
    /** PodResizeInProgress: no reason while actuating, reason Error when actuation failed. */
    resizeInProgress?: PodConditionView;
  };
  containers: readonly ContainerView[];
  /** Init containers (sidecars included): only for the QoS class, which counts them. */
  initContainers: readonly ContainerSpecView[];
  /** spec.os.name === windows: Windows pods cannot be resized in place. */
  windows: boolean;
  /** spec.resources is set (pod-level resources): not handled by attune. */
  podLevelResources: boolean;
  /** For ResourceQuota scopes. */
  priorityClassName?: string;
  activeDeadlineSeconds?: number;
  /** The attune record decoded from the pod's annotations. */
  record: DecodedRecord;
}

/** One item of a LimitRange (spec.limits[]); only Container and Pod items are checked. */
export interface LimitRangeItemView {
  type: string;
  min?: ResourceList;
  max?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

/** A ResourceQuota of the namespace: status.hard and status.used, with its scopes. */
export interface QuotaView {
  name: string;
  hard: ResourceList;
  used: ResourceList;
  scopes?: readonly string[];
  scopeSelector?: ReadonlyArray<{ scopeName: string; operator: string; values?: readonly string[] }>;
}

/** A node: allocatable, and the requests allocated to every pod on it (ours included). */
export interface NodeView {
  name: string;
  allocatable: ResourceList;
  /** Sum over the node's non-terminal pods of their allocated requests (podAllocatedRequests). */
  allocated: ResourceList;
}

/** Room on a node for one pod's requests: allocatable minus the other pods' allocated requests. */
export interface NodeRoom {
  /** millicores */
  cpu?: bigint;
  /** bytes */
  memory?: bigint;
}

export type ControlledValues = 'RequestsOnly' | 'RequestsAndLimits';

/** A container entry of a strategic-merge pods/resize patch (absolute values). */
export interface PatchContainer {
  name: string;
  resources: ContainerResources;
}

// ---------------------------------------------------------------------------------------------
// Decision input and output

export type WorkloadRef = { kind: string; name: string };

export interface CanarySnapshot {
  policy: {
    namespace: string;
    name: string;
    uid: string;
    generation: number;
    spec: ResizePolicySpec;
    /** The status as last persisted (observedGeneration, canary, resizeHistory). */
    status?: ResizePolicyStatus;
  };
  /** Recommendations per workload and container, as published this pass (recommendStatus(...).workloads). */
  recommendations: readonly WorkloadStatus[];
  /** The targeted workloads and their pods. */
  workloads: ReadonlyArray<WorkloadRef & { pods: readonly PodView[] }>;
  cluster: {
    /** Minor version of the apiserver (33 for 1.33). */
    serverMinor: number;
    /** Items of every LimitRange in the policy's namespace. */
    limitRanges: readonly LimitRangeItemView[];
    /** Every ResourceQuota in the policy's namespace. */
    quotas: readonly QuotaView[];
    /** Nodes by name; a pod whose node is missing here is not checked for node room. */
    nodes: Readonly<Record<string, NodeView>>;
  };
  /** False when the metrics source cannot answer now (MetricsAvailable is False). */
  metricsAvailable: boolean;
  /** Deadlines; defaults in DEFAULT_SETTINGS. */
  settings?: Partial<CanarySettings>;
}

export interface CanarySettings {
  /** A resize Deferred for longer fails (and is reverted). Default 5 min (VPA's value). */
  deferredTimeoutMs: number;
  /** A resize neither applied nor pending for longer after it was sent fails. Default 5 min. */
  inProgressTimeoutMs: number;
}

export const DEFAULT_SETTINGS: CanarySettings = { deferredTimeoutMs: 5 * 60_000, inProgressTimeoutMs: 5 * 60_000 };

/** Why a pod's attempt ended or why a resized pod is considered unsafe. */
export type ViolationReason = 'oomkill' | 'restart' | 'notready' | 'resize-error' | 'infeasible' | 'deferred-timeout' | 'in-progress-timeout';

export interface Violation {
  reason: ViolationReason;
  container?: string;
  message: string;
}

export type SkipReason =
  | 'DamagedRecord'
  | 'OtherPolicy'
  | 'NotEligible'
  | 'BestEffort'
  | 'QoSChange'
  | 'LimitRange'
  | 'Quota'
  | 'NodeRoom'
  | 'MemoryLimitDecreaseUnsupported'
  | 'UnsupportedServer'
  | 'Windows'
  | 'PodLevelResources'
  | 'InvalidQuantity'
  | 'NoRecommendation'
  | 'NoProvenSize'
  | 'NoChange';

/** Where a resize comes from. */
export type Wave = 'canary' | 'rollout' | 'auto';

export interface ResizeAction {
  pod: string;
  uid: string;
  workload: WorkloadRef;
  wave: Wave;
  /** The strategic-merge patch body's containers: spec: {containers: [...]}, absolute values. */
  containers: PatchContainer[];
  from: Record<string, ContainerResources>;
  to: Record<string, ContainerResources>;
  /** Write this record (annotations) on the pod BEFORE the resize. */
  record: PodRecord;
  /** encodeRecord(record): the annotations to merge-patch onto the pod. */
  annotations: Record<string, string>;
  /** Containers that restart to apply the resize (resizePolicy RestartContainer); already counted in the baseline. */
  restartExpected: string[];
  history: ResizeEvent[];
  event: PlanEvent;
}

export interface RevertAction {
  pod: string;
  uid: string;
  workload: WorkloadRef;
  /** oomkill | restart | notready | resize-error | infeasible | deferred-timeout | in-progress-timeout | metricunavailable */
  reason: string;
  /** History result: Reverted (safety, metrics) or Failed / Infeasible (the attempt ended). */
  result: string;
  message: string;
  /** The patch's containers: the recorded originals. */
  containers: PatchContainer[];
  from: Record<string, ContainerResources>;
  to: Record<string, ContainerResources>;
  cycle: string;
  /**
   * A container is in CrashLoopBackOff: an in-place memory increase may not reach the pod-level
   * cgroup of a crash-looping pod (kubernetes#138760); the shell may delete the pod after the
   * revert so its controller recreates it from the template.
   */
  crashLooping: boolean;
  history: ResizeEvent[];
  event: PlanEvent;
}

/**
 * An annotation-only write: a pod that already runs the size this policy set in an earlier cycle
 * joins the new cycle (after a spec edit) to be observed again; its originals are kept.
 */
export interface AnnotateAction {
  pod: string;
  uid: string;
  record: PodRecord;
  /** encodeRecord(record): merge-patch onto metadata.annotations. */
  annotations: Record<string, string>;
}

export interface SkipItem {
  pod: string;
  reason: SkipReason;
  message: string;
}

export type PlanEventReason = 'Resized' | 'Promoted' | 'Reverted' | 'ResizeFailed' | 'ResizeSkipped' | 'SafetyViolation';

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: PlanEventReason;
  message: string;
  /** The pod the event is about, when there is one (the policy is always the involved object). */
  pod?: string;
}

export type CanaryOutcome =
  | 'idle' // no cycle, nothing to do
  | 'observing' // canary pods resized, observation running
  | 'promoted' // this plan promotes the cycle to FullRollout
  | 'rolling-out' // FullRollout (or Auto): every eligible pod gets the cycle's size
  | 'blocked' // observation over with a revert / violation / failure: not promoted
  | 'awaiting-promotion' // observation passed, autoPromote is false
  | 'nothing-proven' // observation over without any canary pod resized
  | 'held'; // metrics unavailable: nothing new is resized

export interface Plan {
  mode: 'Recommend' | 'Canary' | 'Auto';
  /** The cycle this plan works in, if any. */
  cycle?: { id: string; startMs: number; started: boolean };
  resize: ResizeAction[];
  revert: RevertAction[];
  /** Records to write without a resize (pods adopted into the cycle). */
  annotate: AnnotateAction[];
  skip: SkipItem[];
  /** status.canary to write; undefined: remove it (Recommend, or a spec edit with nothing to start). */
  canary: CanaryStatus | undefined;
  /** Entries this plan appends to status.resizeHistory (assuming every action succeeds). */
  history: ResizeEvent[];
  /** The whole status.resizeHistory after appending, bounded to RESIZE_HISTORY_LIMIT (newest last). */
  resizeHistory: ResizeEvent[];
  events: PlanEvent[];
  /** When to decide again (observation end, cooldown end, a grace or deadline); undefined: nothing scheduled. */
  requeueAfterMs?: number;
  outcome: { state: CanaryOutcome; message: string };
  /** Set when nothing new is resized because metrics are unavailable (for the policy's conditions). */
  hold?: { reason: 'MetricsUnavailable'; message: string };
}
