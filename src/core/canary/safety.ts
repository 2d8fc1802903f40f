// Safety verdicts on a resized pod (issue 5 §3, §4), pure: the shell calls the decision on every
// pod watch event, so detection does not wait for a reconcile period; these functions only judge
// the pod as it is now against the baseline recorded when it was resized.
//
//   oomkill      a container was OOMKilled after the resize
//   restart      restartCount − baseline ≥ threshold (the baseline already counts the restart a
//                RestartContainer resize causes)
//   notready     Ready has been False for longer than the grace, counted from max(resize, NotReady)
//   resize-error PodResizeInProgress reason Error            } the pod's attempt ends
//   infeasible   PodResizePending reason Infeasible          }
//   deferred-timeout / in-progress-timeout (only when deadlines are given)
import type { Baseline } from '../pod-record.ts';
import { containerActuated, generationObserved } from './eligibility.ts';
import { sameResources } from './resources.ts';
import type { ContainerResources, PodView, Violation } from './types.ts';

export interface SafetyOptions {
  /** Restarts since the baseline that count as a spike (≥ 1). Default 1. */
  restartThreshold?: number;
  /** How long NotReady is tolerated. */
  notReadyGraceMs: number;
  /** A Deferred resize older than this fails. Omitted: no deadline. */
  deferredTimeoutMs?: number;
  /** A resize neither applied nor pending after this long fails. Omitted: no deadline. */
  inProgressTimeoutMs?: number;
}

export type AppliedState = 'applied' | 'in-progress' | 'deferred' | 'infeasible' | 'error';

/**
 * Where the pod's resize stands (inplace-api.md §8). `target`, when given, is the size the resize
 * asked for: a spec that does not carry it yet is still in progress. Applied = generation
 * observed (where reported) AND no resize condition AND every container's status resources (and
 * allocated requests) equal its spec, by value within the kubelet's rounding.
 */
export function appliedState(pod: PodView, target?: Readonly<Record<string, ContainerResources>>): AppliedState {
  const pending = pod.conditions.resizePending;
  const progress = pod.conditions.resizeInProgress;
  if (pending?.reason === 'Infeasible') return 'infeasible';
  if (progress?.reason === 'Error') return 'error';
  if (pending) return 'deferred';
  if (target) {
    for (const [name, want] of Object.entries(target)) {
      const c = pod.containers.find((x) => x.name === name);
      if (!c || !sameResources({ requests: c.spec.requests, limits: c.spec.limits }, want)) return 'in-progress';
    }
  }
  if (progress || !generationObserved(pod)) return 'in-progress';
  return pod.containers.every(containerActuated) ? 'applied' : 'in-progress';
}

const atMs = (b: Baseline) => Date.parse(b.at);

/** When a NotReady pod becomes a violation (epoch ms); undefined while it is Ready. */
export function notReadyDeadline(pod: PodView, baseline: Baseline, graceMs: number): number | undefined {
  const ready = pod.conditions.ready;
  if (!ready || ready.status === 'True') return undefined;
  const at = atMs(baseline);
  return Math.max(at, ready.lastTransitionMs ?? at) + graceMs;
}

/** The next moment the verdict on this pod can change by time alone (a grace or a deadline ending). */
export function nextSafetyCheck(pod: PodView, baseline: Baseline, opts: SafetyOptions, nowMs: number): number | undefined {
  const times: number[] = [];
  const nr = notReadyDeadline(pod, baseline, opts.notReadyGraceMs);
  if (nr !== undefined) times.push(nr + 1);
  const state = appliedState(pod);
  const at = atMs(baseline);
  if (state === 'deferred' && opts.deferredTimeoutMs !== undefined) times.push(Math.max(at, pod.conditions.resizePending?.lastTransitionMs ?? at) + opts.deferredTimeoutMs + 1);
  if (state === 'in-progress' && opts.inProgressTimeoutMs !== undefined) times.push(at + opts.inProgressTimeoutMs + 1);
  const future = times.filter((t) => t > nowMs);
  return future.length ? Math.min(...future) : undefined;
}

/** The first violation of a resized pod, or undefined while it is healthy. */
export function violation(pod: PodView, baseline: Baseline, opts: SafetyOptions, nowMs: number): Violation | undefined {
  const at = atMs(baseline);
  const threshold = Math.max(1, opts.restartThreshold ?? 1);
  const pending = pod.conditions.resizePending;
  const progress = pod.conditions.resizeInProgress;

  if (pending?.reason === 'Infeasible') return { reason: 'infeasible', message: `the kubelet reports the resize Infeasible${pending.message ? `: ${pending.message}` : ''}` };
  if (progress?.reason === 'Error') return { reason: 'resize-error', message: `the kubelet could not apply the resize${progress.message ? `: ${progress.message}` : ''}` };

  // finishedAt has second precision: compare with the resize time floored to the second.
  const atSecond = Math.floor(at / 1000) * 1000;
  for (const c of pod.containers) {
    const s = c.status;
    if (!s) continue;
    const base = baseline.restarts[c.name];
    const t = s.lastTerminated;
    if (t?.reason === 'OOMKilled') {
      const after = t.finishedAtMs !== undefined && t.finishedAtMs >= atSecond;
      const restarted = base !== undefined && s.restartCount > base;
      if (after || restarted) return { reason: 'oomkill', container: c.name, message: `container ${c.name} was OOMKilled after the resize (restarts ${s.restartCount}, ${base ?? 0} at the resize)` };
    }
  }
  for (const c of pod.containers) {
    const s = c.status;
    const base = baseline.restarts[c.name];
    if (!s || base === undefined) continue;
    if (s.restartCount - base >= threshold)
      return { reason: 'restart', container: c.name, message: `container ${c.name} restarted ${s.restartCount - base} time(s) since the resize (threshold ${threshold})${s.lastTerminated?.reason ? `, last reason ${s.lastTerminated.reason}` : ''}` };
  }

  const state = appliedState(pod);
  if (state === 'deferred' && opts.deferredTimeoutMs !== undefined) {
    const since = Math.max(at, pending?.lastTransitionMs ?? at);
    if (nowMs - since > opts.deferredTimeoutMs) return { reason: 'deferred-timeout', message: `the resize has been Deferred for ${Math.round((nowMs - since) / 1000)}s${pending?.message ? `: ${pending.message}` : ''}` };
  }
  if (state === 'in-progress' && opts.inProgressTimeoutMs !== undefined && nowMs - at > opts.inProgressTimeoutMs)
    return { reason: 'in-progress-timeout', message: `the resize has not been applied ${Math.round((nowMs - at) / 1000)}s after it was sent` };

  const nr = notReadyDeadline(pod, baseline, opts.notReadyGraceMs);
  if (nr !== undefined && nowMs > nr) {
    const since = nr - opts.notReadyGraceMs;
    return { reason: 'notready', message: `the pod has been NotReady for ${Math.round((nowMs - since) / 1000)}s (grace ${Math.round(opts.notReadyGraceMs / 1000)}s)` };
  }
  return undefined;
}
