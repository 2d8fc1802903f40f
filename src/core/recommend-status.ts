// Decide, for Recommend mode (and the recommendation part of every mode): from one snapshot of a
// policy, its target workloads and their usage history, the status to publish — per container the
// current and recommended resources with the explanation, confidence and data behind them — and
// the Ready / MetricsAvailable / InvalidSpec conditions. Pure: (snapshot, now) → status.
//
// Fail safe and honest: when usage cannot be read, no recommendation is invented; the last one is
// kept with its time and marked stale once older than `staleAfterMs`, and the conditions say why.
import type { ResizePolicySpec } from '../api/spec.ts';
import type { Condition, ContainerStatus, ExplanationStep, ResizePolicyStatus, WorkloadStatus } from '../api/status.ts';
import { ConditionType, InvalidSpecReason, MetricsReason, ReadyReason, type TargetKind } from '../api/constants.ts';
import { isContainerSelected } from '../api/containers.ts';
import { parseDuration } from './duration.ts';
import { formatCpu, formatMemory, toBytes, toMillicores } from './quantity.ts';
import { recommendContainer } from './recommend/index.ts';
import type { EstimateResult, ResourcePolicy as ChainPolicy } from './recommend/index.ts';
import type { MetricsErrorKind, UsageAnswer } from './usage.ts';

type ResourceList = Record<string, string>;

export interface WorkloadTemplate {
  kind: TargetKind;
  name: string;
  /** The pod template's containers: what new pods get, and what the recommendation starts from. */
  containers: ReadonlyArray<{ name: string; requests?: ResourceList; limits?: ResourceList }>;
}

export type TargetResolution = { found: true; workloads: readonly WorkloadTemplate[] } | { found: false; reason: 'TargetNotFound' | 'NoMatchingWorkloads'; message: string };

export interface RecommendSnapshot {
  generation: number;
  spec: ResizePolicySpec;
  target: TargetResolution;
  /** Per workload (`kind/name`): the cpu and memory answers. Missing when metrics are not configured. */
  usage: ReadonlyMap<string, { cpu: UsageAnswer; memory: UsageAnswer }>;
  /** Set when no query could be made at all (no Prometheus configured, a Secret missing). */
  metricsConfigError?: { reason: 'NoMetricsSource' | 'SecretNotFound'; message: string };
  previous?: ResizePolicyStatus;
  staleAfterMs: number;
}

export const workloadKey = (w: { kind: string; name: string }): string => `${w.kind}/${w.name}`;

const METRICS_REASON: Record<MetricsErrorKind, string> = {
  Unreachable: MetricsReason.PrometheusUnreachable,
  Timeout: MetricsReason.QueryTimeout,
  Unauthorized: MetricsReason.Unauthorized,
  BadQuery: MetricsReason.QueryFailed,
  BadResponse: MetricsReason.InvalidResponse,
};

/** A condition, keeping the previous transition time when its status did not change. */
export function condition(previous: readonly Condition[] | undefined, type: string, status: boolean, reason: string, message: string, generation: number, nowMs: number): Condition {
  const st = status ? 'True' : 'False';
  const prior = previous?.find((c) => c.type === type);
  return {
    type,
    status: st,
    observedGeneration: generation,
    lastTransitionTime: prior && prior.status === st ? prior.lastTransitionTime : new Date(nowMs).toISOString(),
    reason,
    message,
  };
}

/** The status of a policy whose spec the controller cannot use (e.g. stored under an older schema). */
export function invalidSpecStatus(errors: readonly string[], generation: number, previous: ResizePolicyStatus | undefined, nowMs: number): ResizePolicyStatus {
  const message = errors.join('; ');
  return {
    ...previous,
    observedGeneration: generation,
    conditions: [
      condition(previous?.conditions, ConditionType.Ready, false, ReadyReason.InvalidSpec, `the spec is invalid: ${message}`, generation, nowMs),
      condition(previous?.conditions, ConditionType.InvalidSpec, true, InvalidSpecReason.ValidationFailed, message, generation, nowMs),
      ...(previous?.conditions?.filter((c) => c.type === ConditionType.MetricsAvailable) ?? []),
    ],
  };
}

function chainPolicy(spec: ResizePolicySpec, resource: 'cpu' | 'memory'): ChainPolicy {
  const p = spec[resource];
  const units = (q: string | undefined) => (q === undefined ? undefined : Number((resource === 'cpu' ? toMillicores(q) : toBytes(q)) ?? NaN));
  const min = units(p.minAllowed);
  const max = units(p.maxAllowed);
  return {
    percentile: p.percentile,
    overheadPercent: p.overhead,
    ...(min === undefined ? {} : { minAllowed: min }),
    ...(max === undefined ? {} : { maxAllowed: max }),
    maxChangePercent: p.maxChangePercent,
    minChangePercent: p.minChangePercent,
    controlledValues: p.controlledValues,
  };
}

const fmt = (resource: 'cpu' | 'memory', v: number) => (resource === 'cpu' ? formatCpu(BigInt(Math.ceil(v))) : formatMemory(BigInt(Math.ceil(v))));
const units = (resource: 'cpu' | 'memory', q: string | undefined) => {
  if (q === undefined) return undefined;
  const v = resource === 'cpu' ? toMillicores(q) : toBytes(q);
  return v === undefined ? undefined : Number(v);
};
const cpuMem = (l: ResourceList | undefined): ResourceList | undefined => {
  if (!l) return undefined;
  const out: ResourceList = {};
  if (l.cpu !== undefined) out.cpu = l.cpu;
  if (l.memory !== undefined) out.memory = l.memory;
  return Object.keys(out).length ? out : undefined;
};

function containerStatus(
  spec: ResizePolicySpec,
  c: WorkloadTemplate['containers'][number],
  answers: { cpu: UsageAnswer; memory: UsageAnswer } | undefined,
  previous: ContainerStatus | undefined,
  staleAfterMs: number,
  nowMs: number,
): { status: ContainerStatus; published: boolean; insufficient?: string; failed?: { kind: MetricsErrorKind; message: string } } {
  const current = { ...(cpuMem(c.requests) ? { requests: cpuMem(c.requests)! } : {}), ...(cpuMem(c.limits) ? { limits: cpuMem(c.limits)! } : {}) };
  const failed = answers ? [answers.cpu, answers.memory].find((a): a is Extract<UsageAnswer, { ok: false }> => !a.ok) : undefined;
  if (!answers || failed) {
    // No fresh data: keep what was published, with its time, and say whether it is stale.
    const last = previous?.lastUpdated ? Date.parse(previous.lastUpdated) : undefined;
    const stale = last === undefined || nowMs - last > staleAfterMs;
    const why = failed ? `metrics unavailable: ${failed.message}` : 'no metrics source';
    return {
      status: {
        name: c.name,
        current,
        ...(previous?.recommended ? { recommended: previous.recommended, explanation: previous.explanation, confidence: previous.confidence, dataPoints: previous.dataPoints, lastUpdated: previous.lastUpdated } : {}),
        stale,
        message: previous?.recommended ? `${why}; recommendation from ${previous.lastUpdated ?? 'an unknown time'}${stale ? ' is stale' : ''}` : why,
      },
      published: false,
      ...(failed ? { failed: { kind: failed.kind, message: failed.message } } : {}),
    };
  }
  const windowMs = parseDuration(spec.metrics.historyWindow) ?? 7 * 86_400_000;
  const stepMs = parseDuration(spec.metrics.step) ?? 300_000;
  const minimumData = { samples: spec.metrics.minimumData.samples, spanMs: parseDuration(spec.metrics.minimumData.span) ?? 86_400_000 };
  const input = (resource: 'cpu' | 'memory') => {
    const a = answers[resource] as Extract<UsageAnswer, { ok: true }>;
    const u = a.byContainer.get(c.name);
    const req = units(resource, c.requests?.[resource]);
    const lim = units(resource, c.limits?.[resource]);
    return {
      percentileValue: u ? (resource === 'cpu' ? u.percentile * 1000 : u.percentile) : 0,
      dataPoints: u?.dataPoints ?? 0,
      spanMs: u?.spanMs ?? 0,
      stepMs,
      current: { ...(req === undefined ? {} : { request: req }), ...(lim === undefined ? {} : { limit: lim }) },
      policy: chainPolicy(spec, resource),
      minimumData,
      windowMs,
    };
  };
  const rec = recommendContainer({ cpu: input('cpu'), memory: input('memory') });
  const ok = (r: EstimateResult): r is Extract<EstimateResult, { ok: true }> => r.ok;
  const results = [rec.cpu, rec.memory];
  const good = results.filter(ok);
  const notes = results.filter((r) => !r.ok).map((r) => `${r.resource ?? 'usage'}: ${r.message}`);
  if (good.length === 0) {
    return { status: { name: c.name, current, stale: false, message: notes.join('; ') }, published: false, insufficient: `${c.name}: ${notes.join('; ')}` };
  }
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  const explanation: ExplanationStep[] = [];
  for (const r of good) {
    requests[r.resource] = fmt(r.resource, r.recommendation.request);
    if (r.recommendation.limit !== undefined) limits[r.resource] = fmt(r.resource, r.recommendation.limit);
    for (const s of r.explanation) explanation.push({ resource: r.resource, step: s.step, value: fmt(r.resource, s.value), note: s.note });
  }
  return {
    status: {
      name: c.name,
      current,
      recommended: { requests, ...(Object.keys(limits).length ? { limits } : {}) },
      explanation,
      confidence: Math.min(...good.map((r) => r.confidence)),
      dataPoints: Math.min(...good.map((r) => r.dataPoints)),
      lastUpdated: new Date(nowMs).toISOString(),
      stale: false,
      ...(notes.length ? { message: notes.join('; ') } : {}),
    },
    published: true,
  };
}

export function recommendStatus(s: RecommendSnapshot, nowMs: number): ResizePolicyStatus {
  const prevConds = s.previous?.conditions;
  const cond = (type: string, status: boolean, reason: string, message: string) => condition(prevConds, type, status, reason, message, s.generation, nowMs);
  const invalidSpec = cond(ConditionType.InvalidSpec, false, InvalidSpecReason.SpecValid, 'the spec passed every check');

  if (!s.target.found) {
    return {
      ...s.previous,
      observedGeneration: s.generation,
      workloads: [],
      conditions: [
        cond(ConditionType.Ready, false, s.target.reason, s.target.message),
        ...(prevConds?.filter((c) => c.type === ConditionType.MetricsAvailable) ?? []),
        invalidSpec,
      ],
    };
  }

  const workloads: WorkloadStatus[] = [];
  let published = 0;
  let total = 0;
  const insufficient: string[] = [];
  let failure: { kind: MetricsErrorKind; message: string } | undefined;
  for (const w of s.target.workloads) {
    const prevW = s.previous?.workloads?.find((x) => x.kind === w.kind && x.name === w.name);
    const containers: ContainerStatus[] = [];
    for (const c of w.containers) {
      if (!isContainerSelected(s.spec.containers, c.name)) continue;
      total++;
      const r = containerStatus(s.spec, c, s.usage.get(workloadKey(w)), prevW?.containers?.find((x) => x.name === c.name), s.staleAfterMs, nowMs);
      containers.push(r.status);
      if (r.published) published++;
      if (r.insufficient) insufficient.push(`${w.kind}/${w.name} ${r.insufficient}`);
      failure ??= r.failed;
    }
    workloads.push({ kind: w.kind, name: w.name, containers });
  }

  const metrics = s.metricsConfigError
    ? cond(ConditionType.MetricsAvailable, false, s.metricsConfigError.reason, s.metricsConfigError.message)
    : failure
      ? cond(ConditionType.MetricsAvailable, false, METRICS_REASON[failure.kind], failure.message)
      : cond(ConditionType.MetricsAvailable, true, MetricsReason.QuerySucceeded, 'usage history was read for every targeted workload');
  const ready =
    s.metricsConfigError || failure
      ? cond(ConditionType.Ready, false, ReadyReason.MetricsUnavailable, `no fresh recommendations: ${(s.metricsConfigError ?? failure)!.message}`)
      : published === total && total > 0
        ? cond(ConditionType.Ready, true, ReadyReason.RecommendationsPublished, `recommendations published for ${published} container(s) in ${workloads.length} workload(s)`)
        : total === 0
          ? cond(ConditionType.Ready, false, ReadyReason.NoMatchingWorkloads, 'no container of the targeted workloads is selected by spec.containers')
          : cond(ConditionType.Ready, false, ReadyReason.InsufficientData, `${published} of ${total} container(s) have a recommendation; ${insufficient.slice(0, 3).join('; ')}`);

  return { ...s.previous, observedGeneration: s.generation, workloads, conditions: [ready, metrics, invalidSpec] };
}
