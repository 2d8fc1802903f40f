// The canary state machine (issue 5 §4–§8; seeds/004), as one pure function:
//   decideCanary(snapshot, nowMs) → Plan
// The shell observes (pods, nodes, quotas, limit ranges, the policy), calls this on every pod
// watch event and every reconcile, carries the plan out (annotate, resize, revert, events) and
// persists status.canary and status.resizeHistory from it. Nothing here reads a clock or does I/O.
//
// Everything the machine needs is observable, so a restarted operator picks up where it stopped:
//   · the running cycle: status.canary (startTime + generation → id), or the newest cycle id of
//     the current generation found in the records on the pods (a lost status write);
//   · what a pod was before the cycle, and its baseline: the pod's attune record;
//   · a pod of the cycle that is back at its originals: reverted or failed (blocks promotion);
//   · the promoted size: what the cycle's resized pods run with.
import { Annotation, CanaryPhase, ResizeResult, RevertReason } from '../../api/constants.ts';
import type { CanaryStatus, ResizeEvent } from '../../api/status.ts';
import { RESIZE_HISTORY_LIMIT } from '../../api/status.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { encodeRecord, type PodRecord } from '../pod-record.ts';
import { cycleId, cycleStartMs, parseCycleId, uidTag } from './cycle.ts';
import { eligibility } from './eligibility.ts';
import { precheck, quotaApplies, type QuotaDelta, type PrecheckResult } from './precheck.ts';
import { cleanResources, describePodChange, units } from './resources.ts';
import { appliedState, nextSafetyCheck, violation, type SafetyOptions } from './safety.ts';
import { selectCanary } from './selection.ts';
import {
  DEFAULT_SETTINGS,
  RESOURCES,
  type CanaryOutcome,
  type CanarySnapshot,
  type ContainerResources,
  type NodeRoom,
  type Plan,
  type PlanEvent,
  type PodView,
  type ResizeAction,
  type RevertAction,
  type SkipItem,
  type SkipReason,
  type Violation,
  type Wave,
  type WorkloadRef,
} from './types.ts';

/** History result of a violation reported without a revert (autoRevert off). */
export const VIOLATED = 'Violated';
/** History result the shell writes (through settle) when a revert patch was refused. */
export const REVERT_FAILED = 'RevertFailed';

/** Results that end a pod's part in a cycle; any of them in the observation blocks promotion. */
const BLOCKING: ReadonlySet<string> = new Set([ResizeResult.Reverted, ResizeResult.Failed, ResizeResult.Infeasible, VIOLATED, REVERT_FAILED]);
/** Results of a revert that took place (a second revert of the same pod in the same cycle is a stale cache). */
const REVERTED: ReadonlySet<string> = new Set([ResizeResult.Reverted, ResizeResult.Failed, ResizeResult.Infeasible]);
/** Violations that end the pod's attempt: reverted whatever autoRevert says (issue 5 §3). */
const ATTEMPT_FAILURES: ReadonlySet<string> = new Set(['infeasible', 'resize-error', 'deferred-timeout', 'in-progress-timeout']);
/** Skips that are routine and not worth an event. */
const QUIET_SKIPS: ReadonlySet<SkipReason> = new Set(['NoChange', 'NotEligible', 'NoRecommendation', 'NoProvenSize']);

/** Appends entries to a history, keeping the newest `limit` (newest last). */
export function appendHistory(previous: readonly ResizeEvent[], entries: readonly ResizeEvent[], limit = RESIZE_HISTORY_LIMIT): ResizeEvent[] {
  const all = [...previous, ...entries];
  return all.length > limit ? all.slice(all.length - limit) : all;
}

/** The strategic-merge patch body for pods/resize. */
export function resizePatch(containers: ReadonlyArray<{ name: string; resources: ContainerResources }>): { spec: { containers: Array<{ name: string; resources: ContainerResources }> } } {
  return { spec: { containers: containers.map((c) => ({ name: c.name, resources: c.resources })) } };
}

/**
 * After acting: the history and events to persist, given which actions the apiserver refused
 * (pod name → error message). A refused resize becomes a Failed entry and a ResizeFailed event;
 * a refused revert becomes RevertFailed (retried on the next decision).
 */
export function settle(
  plan: Plan,
  previous: readonly ResizeEvent[],
  failures: { resize?: ReadonlyMap<string, string>; revert?: ReadonlyMap<string, string> },
): { history: ResizeEvent[]; resizeHistory: ResizeEvent[]; events: PlanEvent[] } {
  const replaced = new Map<ResizeEvent, ResizeEvent>();
  const eventSwap = new Map<PlanEvent, PlanEvent>();
  for (const a of plan.resize) {
    const err = failures.resize?.get(a.pod);
    if (err === undefined) continue;
    for (const h of a.history) replaced.set(h, { ...h, result: ResizeResult.Failed, reason: 'refused', message: err.slice(0, 1024) });
    eventSwap.set(a.event, { type: 'Warning', reason: 'ResizeFailed', pod: a.pod, message: `Resize of ${a.pod} was refused: ${err}` });
  }
  for (const a of plan.revert) {
    const err = failures.revert?.get(a.pod);
    if (err === undefined) continue;
    for (const h of a.history) replaced.set(h, { ...h, result: REVERT_FAILED, message: `${a.message}; the revert was refused: ${err}`.slice(0, 1024) });
    eventSwap.set(a.event, { type: 'Warning', reason: 'ResizeFailed', pod: a.pod, message: `Could not revert ${a.pod} (${a.reason}): ${err}` });
  }
  const history = plan.history.map((h) => replaced.get(h) ?? h);
  return { history, resizeHistory: appendHistory(previous, history), events: plan.events.map((e) => eventSwap.get(e) ?? e) };
}

interface Entry {
  pod: PodView;
  w: WorkloadRef;
}

interface CurrentCycle {
  id: string;
  startMs: number;
  phase: 'CanaryInProgress' | 'FullRollout';
  subset: string[];
  /** observationEnd as persisted (FullRollout keeps it). */
  observationEndMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function decideCanary(s: CanarySnapshot, nowMs: number): Plan {
  const { policy } = s;
  const us = policy.spec.updateStrategy;
  const mode = us.type;
  const prevHistory = policy.status?.resizeHistory ?? [];
  const nowIso = iso(nowMs);

  const resize: ResizeAction[] = [];
  const revert: RevertAction[] = [];
  const skip: SkipItem[] = [];
  const annotate: Plan['annotate'] = [];
  const history: ResizeEvent[] = [];
  const events: PlanEvent[] = [];
  const wakeups: number[] = [];

  const finish = (canary: CanaryStatus | undefined, state: CanaryOutcome, message: string, extra: Partial<Plan> = {}): Plan => {
    const future = wakeups.filter((t) => t >= nowMs);
    return {
      mode,
      resize,
      revert,
      skip,
      annotate,
      canary,
      history,
      resizeHistory: appendHistory(prevHistory, history),
      events,
      ...(future.length ? { requeueAfterMs: Math.min(...future) - nowMs } : {}),
      outcome: { state, message },
      ...extra,
    };
  };

  if (mode === 'Recommend') return finish(undefined, 'idle', 'Recommend mode: recommendations are published only; pods keep the resources they have');

  const settings = { ...DEFAULT_SETTINGS, ...s.settings };
  const periodMs = parseDuration(us.canary.observationPeriod) ?? 30 * 60_000;
  const cooldownMs = parseDuration(us.cooldown) ?? 2 * 3_600_000;
  const safety: SafetyOptions = {
    restartThreshold: us.restartThreshold,
    notReadyGraceMs: parseDuration(us.notReadyGrace) ?? 120_000,
    deferredTimeoutMs: settings.deferredTimeoutMs,
    inProgressTimeoutMs: settings.inProgressTimeoutMs,
  };
  const policyKey = `${policy.namespace}/${policy.name}`;
  const entries: Entry[] = s.workloads.flatMap((w) => w.pods.map((pod) => ({ pod, w: { kind: w.kind, name: w.name } })));
  const held = !s.metricsAvailable;

  // --- records ---------------------------------------------------------------------------------
  const recordOf = (p: PodView): PodRecord | undefined => (p.record.state === 'ok' && p.record.record.policy === policyKey ? p.record.record : undefined);
  const specOf = (p: PodView, c: string): ContainerResources | undefined => {
    const v = p.containers.find((x) => x.name === c);
    return v ? cleanResources({ requests: v.spec.requests, limits: v.spec.limits }) : undefined;
  };
  /** The pod runs with something other than its recorded originals (compares what the record holds). */
  const changed = (p: PodView): boolean => {
    const r = recordOf(p);
    if (!r) return false;
    return Object.entries(r.originals).some(([c, o]) => {
      const cur = specOf(p, c);
      if (!cur) return false;
      return (['requests', 'limits'] as const).some((k) =>
        RESOURCES.some((res) => o[k]?.[res] !== undefined && units(res, o[k][res]) !== units(res, cur[k]?.[res])),
      );
    });
  };
  const touchable = (p: PodView) => p.record.state === 'none' || recordOf(p) !== undefined;
  const skipped = new Set<string>();
  const skipPod = (p: PodView, reason: SkipReason, message: string) => {
    if (skipped.has(p.name)) return;
    skipped.add(p.name);
    skip.push({ pod: p.name, reason, message });
    if (!QUIET_SKIPS.has(reason)) events.push({ type: 'Warning', reason: 'ResizeSkipped', pod: p.name, message: `Skipped ${p.name}: ${reason}: ${message}` });
  };
  for (const { pod } of entries) {
    if (pod.record.state === 'damaged') skipPod(pod, 'DamagedRecord', `the attune record on the pod is damaged (${pod.record.reason}); attune never touches it — remove the ${Annotation.originalResources} annotation or recreate the pod`);
    else if (!touchable(pod) && pod.record.state === 'ok')
      skipPod(pod, 'OtherPolicy', `the pod carries a record of ResizePolicy ${pod.record.record.policy}; attune leaves it to that policy (do two policies target this workload?)`);
  }
  const historyKeys = new Set(prevHistory.map((h) => `${h.pod}|${h.cycle ?? ''}|${h.result}|${h.reason ?? ''}`));
  const revertedBefore = (pod: string, cycle: string) => prevHistory.some((h) => h.pod === pod && h.cycle === cycle && REVERTED.has(h.result));

  // --- safety monitor: every pod this policy changed, in every phase --------------------------
  const revertedNow = new Set<string>();
  const violatedNow = new Set<string>();
  const doRevert = (e: Entry, r: PodRecord, reason: string, result: string, message: string) => {
    const { pod } = e;
    const containers = Object.entries(r.originals)
      .filter(([c]) => pod.containers.some((x) => x.name === c))
      .map(([name, o]) => ({ name, resources: cleanResources(o) }));
    const from: Record<string, ContainerResources> = {};
    const to: Record<string, ContainerResources> = {};
    for (const c of containers) {
      from[c.name] = specOf(pod, c.name) ?? {};
      to[c.name] = c.resources;
    }
    const attempt = result !== ResizeResult.Reverted;
    const change = describePodChange(from, to);
    const entriesH: ResizeEvent[] = containers.map((c) => ({
      time: nowIso,
      pod: pod.name,
      container: c.name,
      from: from[c.name]!,
      to: to[c.name]!,
      result,
      reason,
      cycle: r.cycle,
      message: message.slice(0, 1024),
    }));
    const event: PlanEvent = attempt
      ? { type: 'Warning', reason: 'ResizeFailed', pod: pod.name, message: `Resize of ${pod.name} failed (${reason}: ${message}); restoring its original resources: ${change}` }
      : { type: 'Warning', reason: 'Reverted', pod: pod.name, message: `Reverted ${pod.name} to its original resources (${reason}: ${message}): ${change}` };
    const crashLooping = pod.containers.some((c) => c.status?.waitingReason === 'CrashLoopBackOff');
    revert.push({ pod: pod.name, uid: pod.uid, workload: e.w, reason, result, message, containers, from, to, cycle: r.cycle, crashLooping, history: entriesH, event });
    history.push(...entriesH);
    events.push(event);
    revertedNow.add(pod.name);
  };
  const report = (e: Entry, r: PodRecord, v: Violation) => {
    violatedNow.add(e.pod.name);
    const why = us.autoRevert ? 'it is not reverted' : 'autoRevert is off, so it keeps its resources';
    if (historyKeys.has(`${e.pod.name}|${r.cycle}|${VIOLATED}|${v.reason}`)) return; // reported already
    const container = v.container ?? Object.keys(r.originals)[0] ?? e.pod.containers[0]?.name ?? 'unknown';
    history.push({ time: nowIso, pod: e.pod.name, container, result: VIOLATED, reason: v.reason, cycle: r.cycle, message: v.message.slice(0, 1024) });
    events.push({ type: 'Warning', reason: 'SafetyViolation', pod: e.pod.name, message: `${e.pod.name} violates safety (${v.reason}: ${v.message}); ${why}` });
  };
  /** The cycle lowered this container's memory (request or limit): only then can putting the originals back help an OOM. */
  const memoryLowered = (p: PodView, r: PodRecord, container: string | undefined): boolean => {
    const names = container ? [container] : Object.keys(r.originals);
    return names.some((c) => {
      const o = r.originals[c];
      const cur = specOf(p, c);
      return (['requests', 'limits'] as const).some((k) => {
        const was = units('memory', o?.[k]?.memory);
        const now = units('memory', cur?.[k]?.memory);
        return was !== undefined && now !== undefined && now < was;
      });
    });
  };
  for (const e of entries) {
    const r = recordOf(e.pod);
    if (!r?.baseline || e.pod.deleting || !changed(e.pod)) continue;
    const next = nextSafetyCheck(e.pod, r.baseline, safety, nowMs);
    if (next !== undefined) wakeups.push(next);
    const v = violation(e.pod, r.baseline, safety, nowMs);
    if (!v) continue;
    const attempt = ATTEMPT_FAILURES.has(v.reason);
    // An OOMKill after a resize that did not lower memory: the originals have no more memory, so
    // putting them back cannot help (and may shrink a limit the cycle raised). Report it.
    if (v.reason === 'oomkill' && !memoryLowered(e.pod, r, v.container)) {
      report(e, r, { ...v, message: `${v.message}; not reverted: the resize did not lower its memory` });
      continue;
    }
    if (attempt || us.autoRevert) {
      if (revertedBefore(e.pod.name, r.cycle)) continue; // our own revert, not yet in the cache
      doRevert(e, r, v.reason, attempt ? (v.reason === 'infeasible' ? ResizeResult.Infeasible : ResizeResult.Failed) : ResizeResult.Reverted, v.message);
    } else report(e, r, v);
  }

  // --- the current cycle -----------------------------------------------------------------------
  const generation = policy.generation;
  const edited = policy.status?.observedGeneration !== generation;
  const prevCanary = policy.status?.canary;
  let cur: CurrentCycle | undefined;
  const statusStart = !edited && prevCanary?.startTime ? Date.parse(prevCanary.startTime) : NaN;
  if (!Number.isNaN(statusStart)) {
    const startMs = cycleStartMs(statusStart);
    const end = prevCanary?.observationEnd ? Date.parse(prevCanary.observationEnd) : NaN;
    cur = {
      id: cycleId(policy.uid, generation, startMs),
      startMs,
      phase: mode === 'Auto' ? CanaryPhase.FullRollout : (prevCanary?.phase ?? CanaryPhase.CanaryInProgress),
      subset: [...(prevCanary?.pods ?? [])],
      ...(Number.isNaN(end) ? {} : { observationEndMs: end }),
    };
  }
  // A cycle of this generation recorded on pods but newer than the status: the status write was lost.
  const tag = uidTag(policy.uid);
  let recoveredStart: number | undefined;
  for (const { pod } of entries) {
    const parts = recordOf(pod) ? parseCycleId(recordOf(pod)!.cycle) : undefined;
    if (parts && parts.uidTag === tag && parts.generation === generation && (recoveredStart === undefined || parts.startMs > recoveredStart)) recoveredStart = parts.startMs;
  }
  if (recoveredStart !== undefined && (!cur || recoveredStart > cur.startMs)) {
    const id = cycleId(policy.uid, generation, recoveredStart);
    const inIt = entries.filter((e) => recordOf(e.pod)?.cycle === id);
    cur = { id, startMs: recoveredStart, phase: mode === 'Auto' ? CanaryPhase.FullRollout : CanaryPhase.CanaryInProgress, subset: [] };
    if (mode === 'Canary') {
      // Re-derive the subset: same cycle id, same picks (the pods already resized stay).
      for (const w of s.workloads) {
        const stay = inIt.filter((e) => e.w.kind === w.kind && e.w.name === w.name).map((e) => e.pod);
        const candidates = w.pods.filter((p) => touchable(p) && eligibility(p).eligible);
        cur.subset.push(...selectCanary({ candidates, percentage: us.canary.percentage, cycleId: id, stay }));
      }
    }
  }

  // --- targets ---------------------------------------------------------------------------------
  const recTarget = (w: WorkloadRef): Record<string, ContainerResources> | undefined => {
    const ws = s.recommendations.find((x) => x.kind === w.kind && x.name === w.name);
    const out: Record<string, ContainerResources> = {};
    for (const c of ws?.containers ?? []) {
      if (c.stale || !c.recommended?.requests) continue;
      out[c.name] = { requests: { ...c.recommended.requests } };
    }
    return Object.keys(out).length ? out : undefined;
  };
  const inCycle = (p: PodView, id: string) => recordOf(p)?.cycle === id;
  /**
   * The cycle's record is on the pod but its size is still the originals, and nothing in the
   * history (and no revert of this decision) ended its attempt: the operator stopped between
   * writing the record and sending pods/resize. Such a pod is resized again, not counted as failed.
   */
  const interrupted = (p: PodView, id: string) =>
    inCycle(p, id) && !changed(p) && !revertedNow.has(p.name) && !prevHistory.some((h) => h.pod === p.name && h.cycle === id && BLOCKING.has(h.result));
  /** In the cycle for good: resized by it (or ended by it), not merely interrupted. */
  const settledIn = (p: PodView, id: string) => inCycle(p, id) && !interrupted(p, id);
  /** The size the cycle's resized pods of a workload run with (applied ones first). */
  const provenTarget = (w: WorkloadRef, id: string): Record<string, ContainerResources> | undefined => {
    const rec = recTarget(w);
    const pods = entries
      .filter((e) => e.w.kind === w.kind && e.w.name === w.name && inCycle(e.pod, id) && changed(e.pod) && !revertedNow.has(e.pod.name))
      .map((e) => e.pod)
      .sort((a, b) => Number(appliedState(b) === 'applied') - Number(appliedState(a) === 'applied') || (a.name < b.name ? -1 : 1));
    const p = pods[0];
    if (!p) return undefined;
    const names = rec ? Object.keys(rec) : Object.keys(recordOf(p)!.originals);
    const out: Record<string, ContainerResources> = {};
    for (const c of names) {
      const requests = specOf(p, c)?.requests;
      if (requests) out[c] = { requests };
    }
    return out;
  };

  // --- resizes with a running ledger of quota and node room -----------------------------------
  let quotaReserved: Record<string, Partial<QuotaDelta>> = {};
  let nodeTaken: Record<string, { cpu: bigint; memory: bigint }> = {};
  const roomFor = (p: PodView): NodeRoom | undefined => {
    const n = p.nodeName ? s.cluster.nodes[p.nodeName] : undefined;
    if (!n) return undefined;
    const room: NodeRoom = {};
    for (const r of RESOURCES) {
      const alloc = units(r, n.allocatable[r]);
      if (alloc === undefined) continue;
      const used = units(r, n.allocated[r]) ?? 0n;
      let mine = 0n;
      for (const c of p.containers) mine += units(r, c.status?.allocatedResources?.[r] ?? c.spec.requests[r]) ?? 0n;
      room[r] = alloc - (used - mine) - (nodeTaken[n.name]?.[r] ?? 0n);
    }
    return room;
  };
  const check = (p: PodView, target: Record<string, ContainerResources>): PrecheckResult =>
    precheck({
      pod: p,
      target,
      controlledValues: { cpu: policy.spec.cpu.controlledValues, memory: policy.spec.memory.controlledValues },
      serverMinor: s.cluster.serverMinor,
      limitRanges: s.cluster.limitRanges,
      quotas: s.cluster.quotas,
      quotaReserved,
      ...(roomFor(p) ? { nodeRoom: roomFor(p)! } : {}),
    });
  /** Takes what a resize adds from the quotas and the node, so the next pod sees what is left. */
  const reserve = (pod: PodView, pc: Extract<PrecheckResult, { ok: true }>) => {
    for (const q of s.cluster.quotas) {
      if (!quotaApplies(q, pod)) continue;
      const acc = (quotaReserved[q.name] ??= {});
      for (const [k, v] of Object.entries(pc.quotaDelta) as Array<[keyof QuotaDelta, bigint]>) if (v > 0n) acc[k] = (acc[k] ?? 0n) + v;
    }
    if (pod.nodeName) {
      const t = (nodeTaken[pod.nodeName] ??= { cpu: 0n, memory: 0n });
      for (const r of RESOURCES) if (pc.nodeDelta[r] > 0n) t[r] += pc.nodeDelta[r];
    }
  };
  const commit = (e: Entry, pc: Extract<PrecheckResult, { ok: true }>, id: string, wave: Wave) => {
    const { pod } = e;
    reserve(pod, pc);
    const restarts: Record<string, number> = {};
    for (const c of pod.containers) restarts[c.name] = (c.status?.restartCount ?? 0) + (pc.restartExpected.includes(c.name) ? 1 : 0);
    const record: PodRecord = { originals: pc.from, cycle: id, policy: policyKey, baseline: { at: nowIso, restarts } };
    const change = describePodChange(pc.from, pc.to);
    const entriesH: ResizeEvent[] = Object.keys(pc.to).map((c) => ({ time: nowIso, pod: pod.name, container: c, from: pc.from[c]!, to: pc.to[c]!, result: ResizeResult.Resized, reason: wave, cycle: id }));
    const event: PlanEvent = { type: 'Normal', reason: 'Resized', pod: pod.name, message: `Resized ${pod.name} (${wave}, cycle ${id}): ${change}` };
    resize.push({
      pod: pod.name,
      uid: pod.uid,
      workload: e.w,
      wave,
      containers: pc.containers,
      from: pc.from,
      to: pc.to,
      record,
      annotations: encodeRecord(record),
      restartExpected: pc.restartExpected,
      history: entriesH,
      event,
    });
    history.push(...entriesH);
    events.push(event);
  };
  /** Brings a pod that already runs a size this policy set (from an earlier cycle) into cycle `id`, to be observed again. */
  const adopt = (e: Entry, id: string) => {
    const old = recordOf(e.pod)!;
    const restarts: Record<string, number> = {};
    for (const c of e.pod.containers) restarts[c.name] = c.status?.restartCount ?? 0;
    const record: PodRecord = { originals: old.originals, cycle: id, policy: policyKey, baseline: { at: nowIso, restarts } };
    annotate.push({ pod: e.pod.name, uid: e.pod.uid, record, annotations: encodeRecord(record) });
  };
  type Attempt = { kind: 'resize'; e: Entry; pc: Extract<PrecheckResult, { ok: true }> } | { kind: 'adopt'; e: Entry } | { kind: 'skip'; e: Entry; reason: SkipReason; message: string };
  /** One pod of a wave: resize it, adopt it (already at the size, set by us), or skip it. */
  const attempt = (e: Entry, target: Record<string, ContainerResources> | undefined, adoptable: boolean): Attempt => {
    const { pod } = e;
    if (pod.record.state === 'damaged') return { kind: 'skip', e, reason: 'DamagedRecord', message: pod.record.reason };
    if (!touchable(pod)) {
      const other = pod.record.state === 'ok' ? pod.record.record.policy : '?';
      return { kind: 'skip', e, reason: 'OtherPolicy', message: `the pod carries a record of ResizePolicy ${other}; attune leaves it to that policy` };
    }
    const el = eligibility(pod);
    if (!el.eligible) return { kind: 'skip', e, reason: 'NotEligible', message: `${el.reason}: ${el.message}` };
    if (!target) return { kind: 'skip', e, reason: 'NoRecommendation', message: `no (fresh) recommendation for ${e.w.kind}/${e.w.name}` };
    const pc = check(pod, target);
    if (pc.ok) return { kind: 'resize', e, pc };
    if (pc.reason === 'NoChange' && adoptable && changed(pod) && recordOf(pod)?.baseline) return { kind: 'adopt', e };
    return { kind: 'skip', e, reason: pc.reason, message: pc.message };
  };
  const apply = (a: Attempt, id: string, wave: Wave) => {
    if (a.kind === 'resize') commit(a.e, a.pc, id, wave);
    else if (a.kind === 'adopt') adopt(a.e, id);
    else skipPod(a.e.pod, a.reason, a.message);
  };

  // --- where the current cycle stands ------------------------------------------------------------
  let observed: Entry[] = [];
  let blocked = false;
  let blockMessage = '';
  let obsEnd = Number.POSITIVE_INFINITY;
  let concluded = false;
  let nextCycleAt = Number.POSITIVE_INFINITY;
  let subset = new Set<string>();
  if (cur) {
    const id = cur.id;
    if (cur.phase === CanaryPhase.CanaryInProgress) {
      subset = new Set([...cur.subset, ...entries.filter((e) => inCycle(e.pod, id)).map((e) => e.pod.name)]);
      const members = entries.filter((e) => subset.has(e.pod.name));
      observed = members.filter((e) => inCycle(e.pod, id) && changed(e.pod) && !revertedNow.has(e.pod.name));
      const failed = members.filter((e) => settledIn(e.pod, id) && (!changed(e.pod) || revertedNow.has(e.pod.name) || violatedNow.has(e.pod.name)));
      const inHistory = prevHistory.filter((h) => h.cycle === id && BLOCKING.has(h.result));
      blocked = failed.length > 0 || inHistory.length > 0;
      if (blocked) {
        const pods = [...new Set([...failed.map((e) => e.pod.name), ...inHistory.map((h) => h.pod)])].sort();
        blockMessage = `canary pod(s) ${pods.join(', ')} were reverted, failed or violated safety during the observation`;
      }
      obsEnd = cur.startMs + periodMs;
      for (const e of observed) obsEnd = Math.max(obsEnd, Date.parse(recordOf(e.pod)!.baseline?.at ?? iso(cur.startMs)) + periodMs);
      const settled = observed.every((e) => appliedState(e.pod) === 'applied');
      concluded = nowMs >= obsEnd && settled;
      if (concluded) nextCycleAt = obsEnd + cooldownMs;
      else if (nowMs < obsEnd) wakeups.push(obsEnd);
    } else {
      subset = new Set(cur.subset);
      obsEnd = cur.observationEndMs ?? cur.startMs + (mode === 'Auto' ? 0 : periodMs);
      concluded = true;
      nextCycleAt = (mode === 'Auto' ? cur.startMs : obsEnd) + cooldownMs;
    }
  }

  // --- metrics unavailable: hold; with onMetricUnavailable revert, canary pods go back ---------
  const hold = held ? { reason: 'MetricsUnavailable' as const, message: `metrics are unavailable: nothing new is resized${policy.spec.onMetricUnavailable === 'revert' ? '; canary pods under observation are reverted' : '; canary pods are kept (pause)'}` } : undefined;
  if (held && policy.spec.onMetricUnavailable === 'revert' && cur?.phase === CanaryPhase.CanaryInProgress && !concluded) {
    for (const e of observed) {
      const r = recordOf(e.pod)!;
      if (revertedNow.has(e.pod.name) || revertedBefore(e.pod.name, r.cycle)) continue;
      doRevert(e, r, RevertReason.MetricUnavailable, ResizeResult.Reverted, 'metrics became unavailable during the observation (onMetricUnavailable: revert)');
    }
    observed = observed.filter((e) => !revertedNow.has(e.pod.name));
    blocked = true;
    blockMessage ||= 'canary pods were reverted because metrics became unavailable';
  }
  const holdExtra = hold ? { hold } : {};

  // --- a new cycle? --------------------------------------------------------------------------------
  const canStart = !held && (!cur || nowMs >= nextCycleAt);
  if (cur && Number.isFinite(nextCycleAt) && nextCycleAt > nowMs) wakeups.push(nextCycleAt);
  if (canStart) {
    const startMs = cycleStartMs(nowMs);
    const id = cycleId(policy.uid, generation, startMs);
    if (id !== cur?.id) {
      // Without a running cycle (new policy, or a spec edit), pods already at a size this policy
      // set are observed again under the new cycle (adopted): the edit revalidates from scratch.
      const adoptable = !cur;
      const attempts: Attempt[] = [];
      const picked: string[] = [];
      const savedQuota = quotaReserved;
      const savedNode = nodeTaken;
      quotaReserved = structuredClone(quotaReserved);
      nodeTaken = structuredClone(nodeTaken);
      for (const w of s.workloads) {
        const ref = { kind: w.kind, name: w.name };
        const ws = entries.filter((e) => e.w.kind === w.kind && e.w.name === w.name);
        const candidates = ws.filter((e) => touchable(e.pod) && eligibility(e.pod).eligible);
        let chosen = candidates;
        if (mode === 'Canary') {
          const prefer = new Set(candidates.filter((e) => recordOf(e.pod)).map((e) => e.pod.name));
          const names = selectCanary({ candidates: candidates.map((e) => e.pod), percentage: us.canary.percentage, cycleId: id, prefer });
          chosen = names.map((n) => candidates.find((e) => e.pod.name === n)!);
          picked.push(...names);
        }
        const target = recTarget(ref);
        for (const e of chosen) {
          const a = attempt(e, target, adoptable);
          // Reserve as we go, so two pods on one node do not both take its last room.
          if (a.kind === 'resize') reserve(e.pod, a.pc);
          attempts.push(a);
        }
      }
      quotaReserved = savedQuota;
      nodeTaken = savedNode;
      const work = attempts.some((a) => a.kind === 'resize' || a.kind === 'adopt');
      if (work) {
        const wave: Wave = mode === 'Canary' ? 'canary' : 'auto';
        for (const a of attempts) apply(a, id, wave);
        const resized = attempts.filter((a) => a.kind === 'resize').length;
        const adopted = attempts.filter((a) => a.kind === 'adopt').length;
        const canary: CanaryStatus =
          mode === 'Canary'
            ? { phase: CanaryPhase.CanaryInProgress, pods: [...picked].sort(), podCount: picked.length, startTime: iso(startMs), observationEnd: iso(startMs + periodMs) }
            : { phase: CanaryPhase.FullRollout, pods: [], podCount: 0, startTime: iso(startMs) };
        if (mode === 'Canary') wakeups.push(startMs + periodMs);
        else wakeups.push(startMs + cooldownMs);
        const why = cur ? 'the cooldown has passed' : edited && prevCanary ? 'the spec changed: revalidating from scratch' : 'no cycle was running';
        return finish(
          canary,
          mode === 'Canary' ? 'observing' : 'rolling-out',
          mode === 'Canary'
            ? `cycle ${id} started (${why}): ${resized} canary pod(s) resized${adopted ? `, ${adopted} already at the size observed again` : ''}; observation until ${iso(startMs + periodMs)}`
            : `cycle ${id} started (${why}): ${resized} pod(s) resized (Auto)`,
          { cycle: { id, startMs, started: true }, ...holdExtra },
        );
      }
      // Nothing to do: say why pods were passed over (unless a rollout wave below looks at them again), start nothing.
      if (cur?.phase !== CanaryPhase.FullRollout) for (const a of attempts) if (a.kind === 'skip') skipPod(a.e.pod, a.reason, a.message);
    }
  }

  if (!cur) {
    const state: CanaryOutcome = held ? 'held' : 'idle';
    return finish(undefined, state, held ? hold!.message : 'no cycle running: no eligible pod needs a resize', holdExtra);
  }

  // --- continue the current cycle -------------------------------------------------------------
  const id = cur.id;
  const cycle = { id, startMs: cur.startMs, started: false };
  const statusOf = (phase: 'CanaryInProgress' | 'FullRollout'): CanaryStatus => {
    const pods = [...subset].sort();
    return mode === 'Auto'
      ? { phase: CanaryPhase.FullRollout, pods: [], podCount: 0, startTime: iso(cur.startMs) }
      : { phase, pods, podCount: pods.length, startTime: iso(cur.startMs), observationEnd: iso(Number.isFinite(obsEnd) ? obsEnd : cur.startMs + periodMs) };
  };

  if (cur.phase === CanaryPhase.CanaryInProgress) {
    if (!concluded) {
      // Canary pods not resized yet (skipped or interrupted) may still join before the observation ends.
      if (!held && nowMs < obsEnd) {
        for (const w of s.workloads) {
          const ref = { kind: w.kind, name: w.name };
          const target = provenTarget(ref, id) ?? recTarget(ref);
          for (const e of entries) {
            if (e.w.kind !== w.kind || e.w.name !== w.name || !subset.has(e.pod.name) || settledIn(e.pod, id)) continue;
            apply(attempt(e, target, true), id, 'canary');
          }
        }
      }
      const state: CanaryOutcome = held ? 'held' : 'observing';
      const msg = held ? hold!.message : `cycle ${id}: observing ${observed.length} canary pod(s) until ${iso(obsEnd)}${blocked ? ` (promotion blocked: ${blockMessage})` : ''}`;
      return finish(statusOf(CanaryPhase.CanaryInProgress), state, msg, { cycle, ...holdExtra });
    }
    // The observation is over.
    if (held) return finish(statusOf(CanaryPhase.CanaryInProgress), 'held', hold!.message, { cycle, ...holdExtra });
    if (blocked) return finish(statusOf(CanaryPhase.CanaryInProgress), 'blocked', `cycle ${id} not promoted: ${blockMessage}; only the canary subset is resized until a later cycle passes`, { cycle });
    if (observed.length === 0) return finish(statusOf(CanaryPhase.CanaryInProgress), 'nothing-proven', `cycle ${id}: no canary pod was resized, nothing to promote`, { cycle });
    if (!us.canary.autoPromote)
      return finish(
        statusOf(CanaryPhase.CanaryInProgress),
        'awaiting-promotion',
        `cycle ${id} passed its observation on ${observed.length} pod(s); autoPromote is off: promote by setting updateStrategy.type to Auto or raising canary.percentage`,
        { cycle },
      );
    wakeups.push(nowMs); // the next decision rolls the size out
    events.push({
      type: 'Normal',
      reason: 'Promoted',
      message: `Canary cycle ${id} passed ${formatDuration(periodMs)} of observation on ${observed.length} pod(s) without a revert: promoting to every eligible pod`,
    });
    return finish(statusOf(CanaryPhase.FullRollout), 'promoted', `cycle ${id} promoted: every eligible pod gets the canary's size`, { cycle });
  }

  // FullRollout (promoted Canary, or Auto): every eligible pod not yet in the cycle gets its size,
  // pods created later included once they are Ready.
  if (!held) {
    for (const w of s.workloads) {
      const ref = { kind: w.kind, name: w.name };
      const proven = provenTarget(ref, id);
      const target = proven ?? (mode === 'Auto' ? recTarget(ref) : undefined);
      for (const e of entries) {
        if (e.w.kind !== w.kind || e.w.name !== w.name || settledIn(e.pod, id)) continue;
        if (!target && mode === 'Canary') {
          if (eligibility(e.pod).eligible) skipPod(e.pod, 'NoProvenSize', `no pod of ${w.kind}/${w.name} was resized in cycle ${id}: nothing proven to roll out`);
          continue;
        }
        const a = attempt(e, target, false);
        if (a.kind === 'skip' && a.reason === 'NotEligible') continue; // not Ready yet, being deleted, …: looked at again on its next event
        apply(a, id, mode === 'Canary' ? 'rollout' : 'auto');
      }
    }
  }
  return finish(statusOf(CanaryPhase.FullRollout), held ? 'held' : 'rolling-out', held ? hold!.message : `cycle ${id}: rolling out to every eligible pod`, { cycle, ...holdExtra });
}
