// PromQL for a workload's usage history, as pure functions.
//
// One query per workload and resource returns, for every (pod, container) series of the workload,
// three statistics tagged by a `stat` label: the percentile over the window (`p`), the number of
// samples (`count`) and the first sample's time (`first`). So a pass costs two queries per
// workload, whatever its pod count, and the answer is a few numbers per series, not the samples.
//
// Percentiles are computed server-side per series with quantile_over_time (the same linear
// interpolation, type 7, as the core's percentile). Pods of one workload are combined by taking
// the MAX of their per-pod percentiles: an upper bound of the percentile of the pooled samples
// (if no pod exceeds x more than (100−p)% of the time, neither does their union), equal to it
// when replicas behave alike, as replicas behind one Service do. It never under-sizes, and it
// avoids shipping every sample (7 d at 5 m × pods × containers) to the operator.
//
// Pods are selected by an anchored name pattern of constant size derived from the workload's
// naming scheme — never a list of pod names, which would grow with the pod count.

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet';
export type Resource = 'cpu' | 'memory';

/** Characters Kubernetes uses for generated name suffixes (no vowels, no 0/1/3). */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

/** RE2 pattern (fully anchored by PromQL) matching exactly the pods a workload creates. */
export function podNamePattern(kind: WorkloadKind, name: string): string {
  const n = escapeRegex(name);
  switch (kind) {
    case 'Deployment':
      return `${n}-${SAFE}{1,10}-${SAFE}{5}`; // <deployment>-<pod-template-hash>-<suffix>
    case 'StatefulSet':
      return `${n}-[0-9]+`; // <statefulset>-<ordinal>
    case 'DaemonSet':
    case 'ReplicaSet':
      return `${n}-${SAFE}{5}`; // <owner>-<suffix>
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A PromQL string literal (double-quoted, escaped). */
export function str(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface UsageQueryInput {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  resource: Resource;
  /** 0 < percentile ≤ 100. */
  percentile: number;
  windowMs: number;
  stepMs: number;
  /** A custom expression for the per-(pod, container) usage series; see `renderCustom`. */
  custom?: string;
}

/** Prometheus duration from milliseconds (whole seconds; at least 1s). */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/**
 * The usage series of a workload, one per (pod, container), in cores or bytes.
 * CPU: the per-second rate of the usage counter over 4 scrape intervals' worth at least (5m).
 * Memory: the peak working set within each step, so the subquery's step does not hide peaks.
 */
export function usageExpr(q: Omit<UsageQueryInput, 'percentile' | 'windowMs'>): string {
  const selector = `{namespace=${str(q.namespace)},pod=~${str(podNamePattern(q.kind, q.name))},container!="",container!="POD"}`;
  if (q.custom) return renderCustom(q.custom, q);
  if (q.resource === 'cpu') return `sum by (pod, container) (rate(container_cpu_usage_seconds_total${selector}[5m]))`;
  return `max by (pod, container) (max_over_time(container_memory_working_set_bytes${selector}[${promDuration(q.stepMs)}]))`;
}

/**
 * A custom usage expression with placeholders: {{namespace}}, {{pod_regex}} (the workload's pod
 * pattern), {{workload}}, {{kind}}, {{step}}. It must return one series per (pod, container).
 */
export function renderCustom(template: string, q: Omit<UsageQueryInput, 'percentile' | 'windowMs'>): string {
  return template
    .replaceAll('{{namespace}}', q.namespace)
    .replaceAll('{{pod_regex}}', podNamePattern(q.kind, q.name))
    .replaceAll('{{workload}}', q.name)
    .replaceAll('{{kind}}', q.kind)
    .replaceAll('{{step}}', promDuration(q.stepMs));
}

/** The one query per workload and resource (see the file comment). */
export function usageStatsQuery(q: UsageQueryInput): string {
  const expr = usageExpr(q);
  const range = `[${promDuration(q.windowMs)}:${promDuration(q.stepMs)}]`;
  const tag = (stat: string, e: string) => `label_replace(${e}, "stat", "${stat}", "", "")`;
  return [
    tag('p', `quantile_over_time(${q.percentile / 100}, (${expr})${range})`),
    tag('count', `count_over_time((${expr})${range})`),
    tag('first', `min_over_time(timestamp(${expr})${range})`),
  ].join(' or ');
}
