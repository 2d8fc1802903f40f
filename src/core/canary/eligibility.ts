// Which pods may be resized now (design.md §1: Running, not being deleted, no resize pending or in
// progress) — plus Ready: a pod that is not Ready before its resize would be judged NotReady after
// it, and a canary must start from a healthy pod. Pure.
import { reportedMatches } from './resources.ts';
import { RESOURCES, type ContainerView, type PodView } from './types.ts';

export type EligibilityReason =
  | 'Eligible'
  | 'NotRunning'
  | 'Deleting'
  | 'ResizePending'
  | 'ResizeInProgress'
  | 'GenerationNotObserved'
  | 'NoResizeStatus'
  | 'ResizeNotActuated'
  | 'NotReady';

export interface Eligibility {
  eligible: boolean;
  reason: EligibilityReason;
  message: string;
}

/**
 * The kubelet's report of one container matches its spec: status.resources (requests and limits)
 * and allocatedResources (requests), by value within TOLERANCE. A container without a status
 * report yet does not match.
 */
export function containerActuated(c: ContainerView): boolean {
  const s = c.status?.resources;
  if (!s) return false;
  for (const r of RESOURCES) {
    if (!reportedMatches(r, c.spec.requests[r], s.requests?.[r])) return false;
    if (!reportedMatches(r, c.spec.limits[r], s.limits?.[r])) return false;
    const alloc = c.status?.allocatedResources;
    if (alloc && !reportedMatches(r, c.spec.requests[r], alloc[r])) return false;
  }
  return true;
}

/** status.observedGeneration has caught up with metadata.generation (true when either is not reported: 1.33). */
export function generationObserved(pod: PodView): boolean {
  return pod.generation === undefined || pod.observedGeneration === undefined || pod.observedGeneration >= pod.generation;
}

export function eligibility(pod: PodView): Eligibility {
  const no = (reason: EligibilityReason, message: string): Eligibility => ({ eligible: false, reason, message });
  if (pod.deleting) return no('Deleting', 'the pod is being deleted');
  if (pod.phase !== 'Running') return no('NotRunning', `the pod is ${pod.phase}, not Running`);
  const pending = pod.conditions.resizePending;
  if (pending) return no('ResizePending', `a resize is pending (${pending.reason ?? 'no reason'}${pending.message ? `: ${pending.message}` : ''})`);
  const progress = pod.conditions.resizeInProgress;
  if (progress) return no('ResizeInProgress', `a resize is in progress${progress.reason ? ` (${progress.reason}${progress.message ? `: ${progress.message}` : ''})` : ''}`);
  if (!generationObserved(pod)) return no('GenerationNotObserved', `the kubelet has not observed generation ${pod.generation} yet (observed ${pod.observedGeneration})`);
  const unreported = pod.containers.find((c) => !c.status?.resources);
  if (unreported) return no('NoResizeStatus', `container ${unreported.name} has no status resources (not started, or a kubelet without in-place resize)`);
  const behind = pod.containers.find((c) => !containerActuated(c));
  if (behind) return no('ResizeNotActuated', `container ${behind.name} runs with resources other than its spec (a resize is not actuated yet)`);
  if (pod.conditions.ready?.status !== 'True') return no('NotReady', 'the pod is not Ready');
  return { eligible: true, reason: 'Eligible', message: 'Running, Ready, no resize pending or in progress' };
}
