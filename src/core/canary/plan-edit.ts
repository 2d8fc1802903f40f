// Pure edits of a Plan the shell makes before or after acting, keeping the plan consistent: an
// action that is dropped takes its history entries and its event with it, so the persisted
// status.resizeHistory only ever names what was really sent.
import { appendHistory } from './plan.ts';
import type { Plan } from './types.ts';
import type { ResizeEvent } from '../../api/status.ts';

export interface Dropped {
  /** Pod names whose resize is not carried out (a conflict with a newer pod, the pod gone, deferred to the next pass). */
  resize?: ReadonlySet<string>;
  revert?: ReadonlySet<string>;
}

/** The plan without the named resizes and reverts (and their history entries and events). */
export function dropActions(plan: Plan, dropped: Dropped, previousHistory: readonly ResizeEvent[]): Plan {
  const resize = plan.resize.filter((a) => !dropped.resize?.has(a.pod));
  const revert = plan.revert.filter((a) => !dropped.revert?.has(a.pod));
  if (resize.length === plan.resize.length && revert.length === plan.revert.length) return plan;
  const goneHistory = new Set<ResizeEvent>();
  const goneEvents = new Set<Plan['events'][number]>();
  const drop = (a: { history: readonly ResizeEvent[]; event: Plan['events'][number] }) => {
    for (const h of a.history) goneHistory.add(h);
    goneEvents.add(a.event);
  };
  for (const a of plan.resize) if (dropped.resize?.has(a.pod)) drop(a);
  for (const a of plan.revert) if (dropped.revert?.has(a.pod)) drop(a);
  const history = plan.history.filter((h) => !goneHistory.has(h));
  return {
    ...plan,
    resize,
    revert,
    history,
    resizeHistory: appendHistory(previousHistory, history),
    events: plan.events.filter((e) => !goneEvents.has(e)),
  };
}

/**
 * At most `max` resizes per pass: the rest is left for the next pass, which comes at once. This
 * bounds how long one pass holds the policy's key, so a safety revert never waits behind a
 * thousand-pod rollout, and paces a rollout in waves the kubelets can follow.
 */
export function limitResizes(plan: Plan, max: number, previousHistory: readonly ResizeEvent[]): Plan {
  if (plan.resize.length <= max) return plan;
  const later = new Set(plan.resize.slice(max).map((a) => a.pod));
  return { ...dropActions(plan, { resize: later }, previousHistory), requeueAfterMs: 0 };
}
