import { describe, expect, it } from 'vitest';
import { initialState, type ContainerState } from '../../hack/sim/container-model.ts';
import { containerId, OPENMETRICS_EOF, openMetricsPodWriter, qosClass, renderOpenMetrics, renderPrometheusText, type ContainerSample } from '../../hack/sim/exposition.ts';

const MiB = 2 ** 20;
const UID = '0d4e5f60-1111-2222-3333-444455556666';
const KSM = { instance: 'kube-state-metrics', job: 'kube-state-metrics' };

interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
  ts?: number;
}

/** A strict parser for the sample lines we emit (escaped quotes included). */
function parseLine(line: string): Line {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)(?: (\S+))?$/.exec(line);
  if (!m) throw new Error(`not a sample line: ${line}`);
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  for (let rest = m[2]!; rest !== ''; ) {
    re.lastIndex = 0;
    const l = re.exec(rest);
    if (!l) throw new Error(`bad labels in ${line}`);
    labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(l[0].length);
  }
  return { name: m[1]!, labels, value: Number(m[3]), ...(m[4] !== undefined && { ts: Number(m[4]) }) };
}

const samplesOf = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map(parseLine);
const find = (lines: Line[], name: string, labels: Record<string, string>) =>
  lines.filter((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v));

function state(s: Partial<ContainerState>): ContainerState {
  return { ...initialState(0), ...s };
}

function pod(overrides: Partial<ContainerSample>[] = [{}, {}]): ContainerSample[] {
  const base = { namespace: 'shop', pod: 'web-7d9f', podUid: UID, node: 'node-1' };
  const defaults: ContainerSample[] = [
    { ...base, container: 'app', image: 'example.com/app:1.2', requests: { cpuCores: 0.25, memoryBytes: 256 * MiB }, limits: { cpuCores: 0.5, memoryBytes: 512 * MiB }, state: state({ cpuSecondsTotal: 100, workingSetBytes: 200 * MiB, cfsPeriodsTotal: 1000, cfsThrottledPeriodsTotal: 50, restarts: 2, lastTerminatedReason: 'OOMKilled' }) },
    { ...base, container: 'sidecar', image: 'example.com/proxy:3', requests: { cpuCores: 0.1 }, limits: {}, state: state({ cpuSecondsTotal: 20.5, workingSetBytes: 30 * MiB }) },
  ];
  return defaults.map((d, i) => ({ ...d, ...overrides[i] }));
}

describe('renderPrometheusText', () => {
  const text = renderPrometheusText(pod());
  const lines = samplesOf(text);

  it('labels cAdvisor container series like the kubelet does', () => {
    const cid = containerId(UID, 'app');
    expect(cid).toMatch(/^[0-9a-f]{64}$/);
    expect(find(lines, 'container_cpu_usage_seconds_total', { container: 'app' })).toEqual([
      { name: 'container_cpu_usage_seconds_total', labels: { container: 'app', cpu: 'total', id: `/kubepods/burstable/pod${UID}/${cid}`, image: 'example.com/app:1.2', instance: 'node-1', job: 'kubelet', name: cid, namespace: 'shop', pod: 'web-7d9f' }, value: 100 },
    ]);
    expect(find(lines, 'container_memory_working_set_bytes', { container: 'sidecar' })).toMatchObject([{ value: 30 * MiB, labels: { namespace: 'shop', pod: 'web-7d9f', image: 'example.com/proxy:3' } }]);
    expect(find(lines, 'container_spec_memory_limit_bytes', { container: 'app' })).toMatchObject([{ value: 512 * MiB }]);
    expect(find(lines, 'container_spec_memory_limit_bytes', { container: 'sidecar' })).toMatchObject([{ value: 0 }]);
  });

  it('has CFS series only for containers with a CPU limit', () => {
    expect(find(lines, 'container_cpu_cfs_periods_total', {}).map((l) => [l.labels.container, l.value])).toEqual([['app', 1000]]);
    expect(find(lines, 'container_cpu_cfs_throttled_periods_total', {}).map((l) => [l.labels.container, l.value])).toEqual([['app', 50]]);
  });

  it('adds pod-level aggregates with container="" that sum the containers', () => {
    const podLevel = lines.filter((l) => l.labels.container === '');
    expect(podLevel.map((l) => [l.name, l.value])).toEqual([
      ['container_cpu_usage_seconds_total', 120.5],
      ['container_memory_working_set_bytes', 230 * MiB],
      ['container_spec_memory_limit_bytes', 0], // one container has no limit: the pod has none
    ]);
    for (const l of podLevel) expect(l.labels).toMatchObject({ id: `/kubepods/burstable/pod${UID}`, namespace: 'shop', pod: 'web-7d9f', image: '', name: '', job: 'kubelet', instance: 'node-1' });
    // What consumers must do: filter container!="" (else they count everything twice).
    const perContainer = find(lines, 'container_cpu_usage_seconds_total', {}).filter((l) => l.labels.container !== '');
    expect(perContainer.reduce((s, l) => s + l.value, 0)).toBe(120.5);
  });

  it('has kube-state-metrics restarts, last terminated reason, requests and limits', () => {
    expect(find(lines, 'kube_pod_container_status_restarts_total', {})).toEqual([
      { name: 'kube_pod_container_status_restarts_total', labels: { container: 'app', ...KSM, namespace: 'shop', pod: 'web-7d9f', uid: UID }, value: 2 },
      { name: 'kube_pod_container_status_restarts_total', labels: { container: 'sidecar', ...KSM, namespace: 'shop', pod: 'web-7d9f', uid: UID }, value: 0 },
    ]);
    expect(find(lines, 'kube_pod_container_status_last_terminated_reason', {})).toEqual([
      { name: 'kube_pod_container_status_last_terminated_reason', labels: { container: 'app', ...KSM, namespace: 'shop', pod: 'web-7d9f', reason: 'OOMKilled', uid: UID }, value: 1 },
    ]);
    const res = (name: string) => find(lines, name, {}).map((l) => `${l.labels.container} ${l.labels.resource} ${l.labels.unit} ${l.labels.node} ${l.value}`);
    expect(res('kube_pod_container_resource_requests')).toEqual(['app cpu core node-1 0.25', `app memory byte node-1 ${256 * MiB}`, 'sidecar cpu core node-1 0.1']);
    expect(res('kube_pod_container_resource_limits')).toEqual(['app cpu core node-1 0.5', `app memory byte node-1 ${512 * MiB}`]);
  });

  it('carries job and instance itself, so backfilled and scraped series are the same series', () => {
    for (const l of lines) {
      const cadvisor = l.name.startsWith('container_');
      expect(l.labels.job, l.name).toBe(cadvisor ? 'kubelet' : 'kube-state-metrics');
      expect(l.labels.instance, l.name).toBe(cadvisor ? 'node-1' : 'kube-state-metrics');
    }
  });

  it('writes each family once, HELP and TYPE first, its samples together', () => {
    const seen = new Set<string>();
    let current = '';
    for (const line of text.trimEnd().split('\n')) {
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        if (meta[1] === 'HELP') {
          expect(seen.has(meta[2]!)).toBe(false);
          seen.add(meta[2]!);
          current = meta[2]!;
        } else {
          expect(meta[2]).toBe(current);
          expect(line).toMatch(/ (counter|gauge)$/);
        }
        continue;
      }
      expect(parseLine(line).name).toBe(current);
    }
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
    expect(text).toContain('# TYPE container_memory_working_set_bytes gauge\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('omits cAdvisor series of a container that is down, but keeps its kube-state-metrics', () => {
    const down = samplesOf(renderPrometheusText(pod([{ state: state({ cpuSecondsTotal: 100, restarts: 3, lastTerminatedReason: 'OOMKilled', restartingUntilMs: 5 }) }])));
    expect(find(down, 'container_cpu_usage_seconds_total', { container: 'app' })).toEqual([]);
    expect(find(down, 'container_memory_working_set_bytes', { container: 'app' })).toEqual([]);
    expect(find(down, 'kube_pod_container_status_restarts_total', { container: 'app' })).toMatchObject([{ value: 3 }]);
    // The pod cgroup still exists: its CPU counter keeps the dead container's share (monotonic).
    expect(find(down, 'container_cpu_usage_seconds_total', { container: '' })).toMatchObject([{ value: 120.5 }]);
  });

  it('reports the last terminated reason, OOMKilled or Error, as kube-state-metrics does', () => {
    const lines = samplesOf(renderPrometheusText(pod([{ state: state({ restarts: 1, lastTerminatedReason: 'Error' }) }, { state: state({ restarts: 2, lastTerminatedReason: 'OOMKilled' }) }])));
    const reasons = (container: string) => find(lines, 'kube_pod_container_status_last_terminated_reason', { container }).map((l) => [l.labels.reason, l.value]);
    expect(reasons('app')).toEqual([['Error', 1]]);
    expect(reasons('sidecar')).toEqual([['OOMKilled', 1]]);
  });

  it('adds a millisecond timestamp when given, and escapes label values', () => {
    const t = samplesOf(renderPrometheusText(pod([{ image: 'we"ird\\image\nx' }]), 1_700_000_000_123));
    expect(t.every((l) => l.ts === 1_700_000_000_123)).toBe(true);
    expect(find(t, 'container_cpu_usage_seconds_total', { container: 'app' })[0]!.labels.image).toBe('we"ird\\image\nx');
  });

  it('names the pod cgroup after its QoS class', () => {
    expect(qosClass([{ requests: {}, limits: {} }])).toBe('besteffort');
    expect(qosClass([{ requests: { cpuCores: 1, memoryBytes: 1 }, limits: { cpuCores: 1, memoryBytes: 1 } }])).toBe('guaranteed');
    expect(qosClass([{ requests: {}, limits: { cpuCores: 1, memoryBytes: 1 } }])).toBe('guaranteed');
    expect(qosClass([{ requests: { cpuCores: 0.5 }, limits: { cpuCores: 1, memoryBytes: 1 } }])).toBe('burstable');
    const guaranteed = pod([{ requests: { cpuCores: 1, memoryBytes: MiB }, limits: { cpuCores: 1, memoryBytes: MiB } }]).slice(0, 1);
    const ids = samplesOf(renderPrometheusText(guaranteed)).filter((l) => l.name === 'container_cpu_usage_seconds_total').map((l) => l.labels.id);
    expect(ids).toEqual([`/kubepods/pod${UID}/${containerId(UID, 'app')}`, `/kubepods/pod${UID}`]);
  });
});

describe('OpenMetrics for backfill', () => {
  const points = Array.from({ length: 12 }, (_, k) => {
    const tMs = 1_700_000_000_000 + k * 60_000;
    return { tMs, samples: pod([{ state: state({ cpuSecondsTotal: 10 * k, workingSetBytes: MiB * k, cfsPeriodsTotal: 600 * k, restarts: k >= 7 ? 1 : 0, ...(k >= 7 && { lastTerminatedReason: 'OOMKilled' as const }) }) }, { state: state({ cpuSecondsTotal: k }) }]) };
  });
  const doc = renderOpenMetrics([...points].reverse()); // input order does not matter

  it('ends with # EOF and has timestamps in seconds', () => {
    expect(doc.endsWith(OPENMETRICS_EOF)).toBe(true);
    expect(doc.indexOf('# EOF')).toBe(doc.length - OPENMETRICS_EOF.length);
    const lines = samplesOf(doc);
    expect(new Set(lines.map((l) => l.ts))).toEqual(new Set(points.map((p) => p.tMs / 1000)));
  });

  it('has strictly increasing timestamps within every series', () => {
    const last = new Map<string, number>();
    for (const l of samplesOf(doc)) {
      const key = `${l.name}${JSON.stringify(l.labels)}`;
      expect(l.ts).toBeGreaterThan(last.get(key) ?? -Infinity);
      last.set(key, l.ts!);
    }
    expect(last.size).toBeGreaterThan(15);
  });

  it('writes usage every point, and slow series when they change, every 4 minutes and at the end', () => {
    const lines = samplesOf(doc);
    const times = (name: string, labels: Record<string, string>) => find(lines, name, labels).map((l) => (l.ts! * 1000 - points[0]!.tMs) / 60_000);
    expect(times('container_cpu_usage_seconds_total', { container: 'app' })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(times('kube_pod_container_resource_requests', { container: 'app', resource: 'cpu' })).toEqual([0, 4, 8, 11]);
    expect(times('kube_pod_container_status_restarts_total', { container: 'app' })).toEqual([0, 4, 7, 11]);
    expect(times('kube_pod_container_status_last_terminated_reason', { container: 'app' })).toEqual([7, 11]);
    expect(find(lines, 'container_cpu_usage_seconds_total', { container: '' }).map((l) => l.value)).toEqual(points.map((_, k) => 11 * k));
  });

  it('refuses a time that does not move forward', () => {
    const writer = openMetricsPodWriter(pod());
    const states = pod().map((c) => c.state);
    writer.write(states, 60_000);
    expect(() => writer.write(states, 60_000)).toThrow(/not after/);
    expect(writer.samples).toBeGreaterThan(10);
  });
});
