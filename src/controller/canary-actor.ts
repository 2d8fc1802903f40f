// Carries out a canary Plan (docs/canary.md, "the shell's side of the contract"): reverts first —
// they are what protects production — then the annotation-only adoptions, then the resizes, each
// resize writing its record on the pod before pods/resize. Every API refusal becomes data for
// `settle` (a Failed / RevertFailed history entry and a ResizeFailed event) except the ones that
// mean "decided on an old picture": a pod that changed since (Conflict) or is gone. Those actions
// are dropped from the plan and decided again from the newer picture.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ContainerResources, Plan } from '../core/canary/index.ts';
import type { PodResizer } from '../kube/pod-resizer.ts';
import { forEachLimited } from '../runtime/pool.ts';

export interface ActDeps {
  /** The newest known copy of a pod of the policy's namespace, by name. */
  pod(name: string): V1Pod | undefined;
  resizer: PodResizer;
  /** Requests in flight at once. */
  concurrency: number;
  log: Logger;
}

export interface ActResult {
  failures: { resize: Map<string, string>; revert: Map<string, string> };
  /** Actions not carried out because the decision's picture was old (Conflict) or the pod is gone. */
  dropped: { resize: Set<string>; revert: Set<string> };
  /** The apiserver's answers: the pods as they are after our writes (for read-your-writes). */
  written: V1Pod[];
  /** API requests sent. */
  requests: number;
}

export async function carryOut(plan: Plan, deps: ActDeps): Promise<ActResult> {
  const r: ActResult = { failures: { resize: new Map(), revert: new Map() }, dropped: { resize: new Set(), revert: new Set() }, written: [], requests: 0 };
  /** The pod the action was decided for: same name and uid (a pod replaced under the same name is another pod). */
  const current = (name: string, uid: string): V1Pod | undefined => {
    const p = deps.pod(name);
    return p && p.metadata?.uid === uid ? p : undefined;
  };

  await forEachLimited(plan.revert, deps.concurrency, async (a) => {
    const pod = current(a.pod, a.uid);
    if (!pod) return void r.dropped.revert.add(a.pod);
    const originals: Record<string, ContainerResources> = Object.fromEntries(a.containers.map((c) => [c.name, c.resources]));
    r.requests++;
    const out = await deps.resizer.restore(pod, originals);
    if (out.kind === 'Requested') {
      r.written.push(out.pod);
      deps.log.info({ pod: a.pod, reason: a.reason, result: a.result }, 'reverted');
    } else if (out.kind === 'Gone') r.dropped.revert.add(a.pod);
    else {
      r.failures.revert.set(a.pod, `${out.kind}: ${out.message}`);
      deps.log.warn({ pod: a.pod, reason: a.reason, refusal: out.kind, err: out.message }, 'revert refused');
    }
  });

  await forEachLimited(plan.annotate, deps.concurrency, async (a) => {
    const pod = current(a.pod, a.uid);
    if (!pod) return;
    r.requests++;
    const out = await deps.resizer.annotate(pod, a.annotations);
    if (out.kind === 'Annotated') r.written.push(out.pod);
    else deps.log.info({ pod: a.pod, refusal: out.kind, err: out.message }, 'could not adopt the pod into the cycle; deciding again');
  });

  await forEachLimited(plan.resize, deps.concurrency, async (a) => {
    const pod = current(a.pod, a.uid);
    if (!pod) return void r.dropped.resize.add(a.pod);
    const { outcome, step, recorded } = await deps.resizer.recordThenResize(pod, a.annotations, a.containers);
    r.requests += step === 'record' ? 1 : 2;
    if (recorded) r.written.push(recorded);
    if (outcome.kind === 'Requested') {
      r.written.push(outcome.pod);
      deps.log.info({ pod: a.pod, wave: a.wave, cycle: a.record.cycle }, 'resize requested');
    } else if (outcome.kind === 'Gone' || outcome.kind === 'Conflict') {
      r.dropped.resize.add(a.pod);
      deps.log.debug({ pod: a.pod, step, refusal: outcome.kind }, 'pod changed or went away since the decision; deciding again');
    } else {
      r.failures.resize.set(a.pod, `${outcome.kind}: ${outcome.message}`);
      deps.log.warn({ pod: a.pod, step, refusal: outcome.kind, err: outcome.message }, 'resize refused');
    }
  });
  return r;
}
