// The I/O adapter that changes pods (docs/pod-resizer.md). A resize is two requests:
//   1. record first — the pod's original cpu/memory, the cycle, the policy and the baseline are
//      written as annotations (JSON merge patch, preconditioned on the resourceVersion of the pod
//      the caller decided on: a concurrent change gives Conflict and nothing is written);
//   2. then pods/resize — a strategic-merge patch of absolute values for the named containers.
// So no pod is ever at a size attune chose without a record of what it was before (design.md §2):
// a restarted operator finds the record and can finish or undo the cycle. If step 2 fails, the
// record stays; it is harmless, because its originals equal the pod's current resources.
//
// Every API refusal is returned as a typed outcome, never thrown. Whether a requested resize was
// applied is the kubelet's to say: see resizeState (resize-state.ts), read from later observations.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { decodeRecord, encodeRecord, type ContainerResources, type PodRecord } from '../core/pod-record.ts';
import { apiFailure } from './api-errors.ts';
import { clearPatch, hasRecordAnnotations, recordFor, recordPatch, resizePatch, revertPatch, specResources, targetProblem, type RecordIntent } from './resize-patches.ts';
import type { ResizeTarget } from './resize-state.ts';

export { resizeState, type ResizeState, type ResizeStateReport, type ResizeTarget } from './resize-state.ts';
export { baselineOf, RECORD_ANNOTATIONS, type RecordIntent } from './resize-patches.ts';

/** What the apiserver refused, by HTTP status. */
export type ApiRefusal =
  /** 409: the pod changed since the resourceVersion the request was conditioned on. Nothing was changed by this request. */
  | { kind: 'Conflict'; message: string }
  /** 404: the pod no longer exists. */
  | { kind: 'Gone'; message: string }
  /** 422 (or refused locally before any write, for a target the apiserver would refuse): e.g. a QoS change, a limit removed. */
  | { kind: 'Rejected'; message: string }
  /** 403: RBAC (pods patch, pods/resize patch) or an admission refusal such as an exceeded ResourceQuota. */
  | { kind: 'Forbidden'; message: string }
  /** Anything else: other statuses, network errors, timeouts. */
  | { kind: 'Error'; message: string };

export type ResizeOutcome =
  /** pods/resize accepted the new values; `pod` is the apiserver's answer (its metadata.generation is the one to verify). */
  | { kind: 'Requested'; pod: V1Pod; record: PodRecord }
  /** The pod carries a record attune cannot read; it refuses to touch the pod rather than guess. */
  | { kind: 'DamagedRecord'; message: string }
  | ApiRefusal;

export type RevertOutcome = ResizeOutcome | { kind: 'NothingToRevert' };

export type RecordOutcome = { kind: 'Recorded'; pod: V1Pod; record: PodRecord } | { kind: 'DamagedRecord'; message: string } | ApiRefusal;

export type ClearOutcome = { kind: 'Cleared'; pod: V1Pod } | { kind: 'NothingToClear' } | ApiRefusal;

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Maps a thrown client-node error to a typed refusal. */
export function refusal(e: unknown): ApiRefusal {
  const f = apiFailure(e);
  switch (f.status) {
    case 409:
      return { kind: 'Conflict', message: f.message };
    case 404:
      return { kind: 'Gone', message: f.message };
    case 422:
      return { kind: 'Rejected', message: f.message };
    case 403:
      return { kind: 'Forbidden', message: f.message };
    default:
      return { kind: 'Error', message: f.message };
  }
}

function ref(pod: V1Pod): { name: string; namespace: string } | undefined {
  const { name, namespace } = pod.metadata ?? {};
  return name && namespace ? { name, namespace } : undefined;
}

export class PodResizer {
  private readonly core: CoreV1Api;

  constructor(core: CoreV1Api) {
    this.core = core;
  }

  /**
   * Step 1 alone: writes the record for resizing `containers` of `pod`, conditioned on the pod's
   * resourceVersion. For tests and tools; the controller carries out planned records with
   * `recordThenResize` and `annotate`.
   */
  async writeRecord(pod: V1Pod, intent: RecordIntent, containers: readonly string[]): Promise<RecordOutcome> {
    const at = ref(pod);
    const resourceVersion = pod.metadata?.resourceVersion;
    if (!at || !resourceVersion) return { kind: 'Error', message: 'the pod has no name, namespace or resourceVersion' };
    const r = recordFor(pod, intent, containers);
    if (r.kind === 'damaged') return { kind: 'DamagedRecord', message: r.message };
    const written = await this.annotate(pod, encodeRecord(r.record));
    return written.kind === 'Annotated' ? { kind: 'Recorded', pod: written.pod, record: r.record } : written;
  }

  /**
   * Records, then requests the target size (absolute values, the named containers only). A target
   * the apiserver would refuse for its shape (unknown container, a resource other than cpu/memory,
   * not a quantity) is refused here, before anything is written.
   */
  async resize(pod: V1Pod, intent: RecordIntent, target: ResizeTarget): Promise<ResizeOutcome> {
    const problem = targetProblem(pod, target);
    if (problem) {
      // A damaged record is reported as such even for a bad target: the pod must not be touched.
      const existing = decodeRecord(pod.metadata?.annotations);
      return existing.state === 'damaged' ? { kind: 'DamagedRecord', message: existing.reason } : { kind: 'Rejected', message: problem };
    }
    const recorded = await this.writeRecord(pod, intent, target.map((t) => t.name));
    if (recorded.kind !== 'Recorded') return recorded;
    // On a refusal the record stays: its originals are the pod's current resources.
    const resized = await this.requestSize(recorded.pod, target);
    return resized.kind === 'Requested' ? { ...resized, record: recorded.record } : resized;
  }

  /**
   * Requests the recorded originals for every recorded container. The record stays until
   * `clearRecord`, which the caller runs once resizeState says the revert is applied. Not
   * conditioned on resourceVersion (absolute values; a revert must not lose to a status update).
   */
  async revert(pod: V1Pod): Promise<RevertOutcome> {
    const at = ref(pod);
    if (!at) return { kind: 'Error', message: 'the pod has no name or namespace' };
    const decoded = decodeRecord(pod.metadata?.annotations);
    if (decoded.state === 'none') return { kind: 'NothingToRevert' };
    if (decoded.state === 'damaged') return { kind: 'DamagedRecord', message: decoded.reason };
    const { record } = decoded;
    const missing = Object.keys(record.originals).filter((name) => !specResources(pod, name));
    if (missing.length) return { kind: 'DamagedRecord', message: `the record names containers the pod does not have: ${missing.join(', ')}` };
    if (Object.keys(record.originals).length === 0) return { kind: 'NothingToRevert' };
    const reverted = await this.restore(pod, record.originals);
    return reverted.kind === 'Requested' ? { ...reverted, record } : reverted;
  }

  /**
   * The shell's resize of a planned action: the planned record annotations first (conditioned on
   * the pod's resourceVersion: a pod that changed since the decision gives Conflict and nothing is
   * written), then pods/resize with the planned absolute values.
   * `step` says which request an outcome other than Requested comes from.
   */
  async recordThenResize(pod: V1Pod, annotations: Record<string, string>, target: ResizeTarget): Promise<{ outcome: { kind: 'Requested'; pod: V1Pod } | ApiRefusal; step: 'record' | 'resize'; recorded?: V1Pod }> {
    const written = await this.annotate(pod, annotations);
    if (written.kind !== 'Annotated') return { outcome: written, step: 'record' };
    return { outcome: await this.requestSize(written.pod, target), step: 'resize', recorded: written.pod };
  }

  /** pods/resize with absolute values for the named containers (strategic merge), not conditioned. */
  private async requestSize(pod: V1Pod, target: ResizeTarget): Promise<{ kind: 'Requested'; pod: V1Pod } | ApiRefusal> {
    const at = ref(pod);
    if (!at) return { kind: 'Error', message: 'the pod has no name or namespace' };
    try {
      return { kind: 'Requested', pod: await this.core.patchNamespacedPodResize({ ...at, body: resizePatch(target) }, strategicMerge) };
    } catch (e) {
      return refusal(e);
    }
  }

  /** Writes record annotations only (a pod adopted into a new cycle), conditioned on the pod's resourceVersion. */
  async annotate(pod: V1Pod, annotations: Record<string, string>): Promise<{ kind: 'Annotated'; pod: V1Pod } | ApiRefusal> {
    const at = ref(pod);
    const resourceVersion = pod.metadata?.resourceVersion;
    if (!at || !resourceVersion) return { kind: 'Error', message: 'the pod has no name, namespace or resourceVersion' };
    try {
      return { kind: 'Annotated', pod: await this.core.patchNamespacedPod({ ...at, body: recordPatch(resourceVersion, annotations) }, mergePatch) };
    } catch (e) {
      return refusal(e);
    }
  }

  /**
   * Puts the given originals back (pods/resize, absolute values; a request or limit the pod has now
   * but the originals lack is removed). Not conditioned: a revert must not lose to a status update.
   */
  async restore(pod: V1Pod, originals: Readonly<Record<string, ContainerResources>>): Promise<{ kind: 'Requested'; pod: V1Pod } | ApiRefusal> {
    const at = ref(pod);
    if (!at) return { kind: 'Error', message: 'the pod has no name or namespace' };
    try {
      return { kind: 'Requested', pod: await this.core.patchNamespacedPodResize({ ...at, body: revertPatch(pod, originals) }, strategicMerge) };
    } catch (e) {
      return refusal(e);
    }
  }

  /** Removes every record annotation, conditioned on the pod's resourceVersion (Conflict: observe again). */
  async clearRecord(pod: V1Pod): Promise<ClearOutcome> {
    const at = ref(pod);
    const resourceVersion = pod.metadata?.resourceVersion;
    if (!at || !resourceVersion) return { kind: 'Error', message: 'the pod has no name, namespace or resourceVersion' };
    if (!hasRecordAnnotations(pod)) return { kind: 'NothingToClear' };
    try {
      return { kind: 'Cleared', pod: await this.core.patchNamespacedPod({ ...at, body: clearPatch(resourceVersion) }, mergePatch) };
    } catch (e) {
      return refusal(e);
    }
  }
}
