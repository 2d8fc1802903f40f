// The metrics a node exposes about its containers, in the shapes the operator meets in production:
// cAdvisor series as served by the kubelet (/metrics/cadvisor: labels namespace, pod, container,
// cpu, id, image, name, plus pod-level aggregates with container="") and kube-state-metrics
// series (restarts, last terminated reason, requests, limits). Rendered as Prometheus text 0.0.4
// for a live /metrics endpoint, or as timestamped OpenMetrics lines for promtool's backfill. Pure.
import { createHash } from 'node:crypto';
import { isRunning, type ContainerState } from './container-model.ts';

export interface Resources {
  cpuCores?: number;
  memoryBytes?: number;
}

export interface ContainerSample {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  image: string;
  node: string;
  requests: Resources;
  limits: Resources;
  state: ContainerState;
}

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';

const FAMILIES = {
  container_cpu_usage_seconds_total: ['counter', 'Cumulative cpu time consumed in seconds.'],
  container_memory_working_set_bytes: ['gauge', 'Current working set in bytes.'],
  container_cpu_cfs_periods_total: ['counter', 'Number of elapsed enforcement period intervals.'],
  container_cpu_cfs_throttled_periods_total: ['counter', 'Number of throttled period intervals.'],
  container_spec_memory_limit_bytes: ['gauge', 'Memory limit for the container.'],
  kube_pod_container_status_restarts_total: ['counter', 'The number of container restarts per container.'],
  kube_pod_container_status_last_terminated_reason: ['gauge', 'Describes the last reason the container was in terminated state.'],
  kube_pod_container_resource_requests: ['gauge', 'The number of requested request resource by a container.'],
  kube_pod_container_resource_limits: ['gauge', 'The number of requested limit resource by a container.'],
} as const;

export type Family = keyof typeof FAMILIES;

/**
 * The `job` and `instance` labels are part of the exposition, not left to the scraper: backfilled
 * samples never pass through a scrape, so live series can only continue them if both carry the
 * same labels (Prometheus scrapes with honor_labels: true). The values mirror a real cluster:
 * cAdvisor series from job "kubelet" with the node as instance, the rest from kube-state-metrics.
 */
export const KUBELET_JOB = 'kubelet';
export const KSM_JOB = 'kube-state-metrics';
export const FAMILY_NAMES = Object.keys(FAMILIES) as Family[];

/** A stable 64-hex container id (what the kubelet would report as containerd://<id>). */
export function containerId(podUid: string, container: string): string {
  return createHash('sha256').update(`${podUid}/${container}`).digest('hex');
}

/** The pod's QoS class from its containers' requests and limits (the kubelet's rules). */
export function qosClass(containers: ReadonlyArray<{ requests: Resources; limits: Resources }>): QosClass {
  let any = false;
  let guaranteed = true;
  for (const { requests, limits } of containers) {
    for (const r of ['cpuCores', 'memoryBytes'] as const) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      // A request left unset defaults to the limit.
      if (limits[r] === undefined || (requests[r] ?? limits[r]) !== limits[r]) guaranteed = false;
    }
  }
  return !any ? 'besteffort' : guaranteed ? 'guaranteed' : 'burstable';
}

/** The pod's cgroup as cAdvisor names it (cgroupfs driver). */
export function podCgroup(qos: QosClass, podUid: string): string {
  return qos === 'guaranteed' ? `/kubepods/pod${podUid}` : `/kubepods/${qos}/pod${podUid}`;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/**
 * One series of a pod: its rendered name and labels, and its value given the pod's container
 * states (index-aligned with the containers), or undefined when the series is absent right now.
 * `slow` series change rarely; the backfill writes them sparsely.
 */
export interface SeriesDef {
  family: Family;
  text: string;
  slow: boolean;
  value(states: readonly ContainerState[]): number | undefined;
}

/** Every series of one pod (its containers share namespace, pod and podUid). */
export function podSeries(containers: readonly ContainerSample[]): SeriesDef[] {
  const first = containers[0];
  if (!first) return [];
  const { namespace, pod, podUid: uid } = first;
  const podId = podCgroup(qosClass(containers), uid);
  const defs: SeriesDef[] = [];
  const add = (family: Family, labels: Record<string, string>, slow: boolean, value: SeriesDef['value']) =>
    defs.push({ family, text: `${family}${labelText(labels)}`, slow, value });
  // cAdvisor's label set; the CPU usage series alone also carries cpu="total".
  const cadvisorLabels = (container: string, id: string, image: string, name: string, instance: string) => ({
    cpu: { container, cpu: 'total', id, image, instance, job: KUBELET_JOB, name, namespace, pod },
    other: { container, id, image, instance, job: KUBELET_JOB, name, namespace, pod },
  });
  const ksm = { instance: KSM_JOB, job: KSM_JOB };

  containers.forEach((c, i) => {
    const cid = containerId(uid, c.container);
    const { cpu: cpuLabels, other: cadvisor } = cadvisorLabels(c.container, `${podId}/${cid}`, c.image, cid, c.node);
    // cAdvisor has no series for a container whose cgroup is gone (down after an OOM kill).
    const running = (states: readonly ContainerState[]) => (isRunning(states[i]!) ? states[i]! : undefined);
    add('container_cpu_usage_seconds_total', cpuLabels, false, (s) => running(s)?.cpuSecondsTotal);
    add('container_memory_working_set_bytes', cadvisor, false, (s) => running(s)?.workingSetBytes);
    // CFS statistics only exist where a quota (CPU limit) is or was enforced.
    const cfs = (s: readonly ContainerState[]) => (c.limits.cpuCores !== undefined || s[i]!.cfsPeriodsTotal > 0 ? running(s) : undefined);
    add('container_cpu_cfs_periods_total', cadvisor, false, (s) => cfs(s)?.cfsPeriodsTotal);
    add('container_cpu_cfs_throttled_periods_total', cadvisor, false, (s) => cfs(s)?.cfsThrottledPeriodsTotal);
    add('container_spec_memory_limit_bytes', cadvisor, true, (s) => (running(s) ? (c.limits.memoryBytes ?? 0) : undefined));

    const status = { container: c.container, ...ksm, namespace, pod, uid };
    add('kube_pod_container_status_restarts_total', status, true, (s) => s[i]!.restarts);
    for (const reason of ['OOMKilled', 'Error'] as const)
      add('kube_pod_container_status_last_terminated_reason', { container: c.container, ...ksm, namespace, pod, reason, uid }, true, (s) => (s[i]!.lastTerminatedReason === reason ? 1 : undefined));
    for (const [family, res] of [
      ['kube_pod_container_resource_requests', c.requests],
      ['kube_pod_container_resource_limits', c.limits],
    ] as const) {
      const labels = (resource: string, unit: string) => ({ container: c.container, ...ksm, namespace, node: c.node, pod, resource, uid, unit });
      if (res.cpuCores !== undefined) add(family, labels('cpu', 'core'), true, () => res.cpuCores);
      if (res.memoryBytes !== undefined) add(family, labels('memory', 'byte'), true, () => res.memoryBytes);
    }
  });

  // Pod-level cgroup (container=""): the sum over its containers, as cAdvisor reports it.
  const { cpu: podCpuLabels, other: podLabels } = cadvisorLabels('', podId, '', '', first.node);
  const allMemLimited = containers.every((c) => c.limits.memoryBytes !== undefined);
  const memLimitSum = containers.reduce((sum, c) => sum + (c.limits.memoryBytes ?? 0), 0);
  add('container_cpu_usage_seconds_total', podCpuLabels, false, (s) => s.reduce((sum, st) => sum + st.cpuSecondsTotal, 0));
  add('container_memory_working_set_bytes', podLabels, false, (s) => s.reduce((sum, st) => sum + (isRunning(st) ? st.workingSetBytes : 0), 0));
  add('container_spec_memory_limit_bytes', podLabels, true, () => (allMemLimited ? memLimitSum : 0));
  return defs;
}

/** Groups samples by pod, keeping first-seen order. */
function byPod(samples: readonly ContainerSample[]): ContainerSample[][] {
  const pods = new Map<string, ContainerSample[]>();
  for (const s of samples) {
    const key = `${s.namespace}/${s.pod}/${s.podUid}`;
    let list = pods.get(key);
    if (!list) pods.set(key, (list = []));
    list.push(s);
  }
  return [...pods.values()];
}

/**
 * Prometheus text format 0.0.4 (what kubelet's /metrics/cadvisor serves): each family once with
 * HELP and TYPE, then its series. With `nowMs`, every sample carries that timestamp (ms), as
 * cAdvisor's do.
 */
export function renderPrometheusText(samples: readonly ContainerSample[], nowMs?: number): string {
  const lines = new Map<Family, string[]>(FAMILY_NAMES.map((f) => [f, []]));
  const ts = nowMs === undefined ? '' : ` ${Math.round(nowMs)}`;
  for (const pod of byPod(samples)) {
    const states = pod.map((c) => c.state);
    for (const def of podSeries(pod)) {
      const v = def.value(states);
      if (v !== undefined) lines.get(def.family)!.push(`${def.text} ${formatValue(v)}${ts}`);
    }
  }
  let out = '';
  for (const [family, series] of lines) {
    if (series.length === 0) continue;
    const [type, help] = FAMILIES[family];
    out += `# HELP ${family} ${help}\n# TYPE ${family} ${type}\n${series.join('\n')}\n`;
  }
  return out;
}

export const OPENMETRICS_EOF = '# EOF\n';

export interface PodWriterOptions {
  /** Slow series (requests, limits, restarts, …) are written when they change and at least this
   *  often; below Prometheus's 5 min lookback so instant queries always find them. */
  slowEveryMs?: number;
}

export interface PodWriter {
  /** Lines for the pod's series at `tMs` (strictly increasing between calls: promtool silently
   *  drops samples that are out of order within a series). `last` forces slow series out. */
  write(states: readonly ContainerState[], tMs: number, last?: boolean): string;
  /** Sample lines written so far. */
  readonly samples: number;
}

/** A writer of one pod's OpenMetrics sample lines (timestamps in seconds, no TYPE lines, as
 *  promtool accepts). Label texts are rendered once, so a week of samples costs little. */
export function openMetricsPodWriter(pod: readonly ContainerSample[], opts: PodWriterOptions = {}): PodWriter {
  const defs = podSeries(pod);
  const slowEveryMs = opts.slowEveryMs ?? 240_000;
  const lastValue = new Array<number | undefined>(defs.length);
  const lastAt = new Array<number>(defs.length).fill(-Infinity);
  let prevMs = -Infinity;
  let samples = 0;
  return {
    get samples() {
      return samples;
    },
    write(states, tMs, last = false) {
      if (!(tMs > prevMs)) throw new Error(`openMetricsPodWriter: time ${tMs} is not after ${prevMs}`);
      prevMs = tMs;
      const ts = ` ${tMs / 1000}\n`;
      let out = '';
      for (let d = 0; d < defs.length; d++) {
        const def = defs[d]!;
        const v = def.value(states);
        if (v === undefined) {
          lastValue[d] = undefined;
          continue;
        }
        if (def.slow && !last && v === lastValue[d] && tMs - lastAt[d]! < slowEveryMs) continue;
        lastValue[d] = v;
        lastAt[d] = tMs;
        samples++;
        out += `${def.text} ${formatValue(v)}${ts}`;
      }
      return out;
    },
  };
}

/** A whole OpenMetrics document for a list of points in time (small inputs and tests). */
export function renderOpenMetrics(points: ReadonlyArray<{ tMs: number; samples: readonly ContainerSample[] }>, opts: PodWriterOptions = {}): string {
  const writers = new Map<string, PodWriter>();
  let out = '';
  const ordered = [...points].sort((a, b) => a.tMs - b.tMs);
  ordered.forEach(({ tMs, samples }, k) => {
    for (const pod of byPod(samples)) {
      const key = `${pod[0]!.namespace}/${pod[0]!.pod}/${pod[0]!.podUid}`;
      let writer = writers.get(key);
      if (!writer) writers.set(key, (writer = openMetricsPodWriter(pod, opts)));
      out += writer.write(
        pod.map((c) => c.state),
        tMs,
        k === ordered.length - 1,
      );
    }
  });
  return out + OPENMETRICS_EOF;
}
