// PromQL builders (pure).
import { describe, expect, it } from 'vitest';
import { podNamePattern, renderCustom, str, usageExpr, usageStatsQuery } from '../../src/metrics/promql.ts';

const matches = (kind: Parameters<typeof podNamePattern>[0], name: string, pod: string) => new RegExp(`^(?:${podNamePattern(kind, name)})$`).test(pod);

describe('podNamePattern', () => {
  it.each([
    ['Deployment', 'web', 'web-7c9d8f6b5b-x2k4m', true],
    ['Deployment', 'web', 'web-api-7c9d8f6b5b-x2k4m', false], // another Deployment's pod
    ['Deployment', 'web', 'web-x2k4m', false],
    ['Deployment', 'web.v2', 'webxv2-7c9d8f6b5b-x2k4m', false], // the dot is literal
    ['StatefulSet', 'db', 'db-0', true],
    ['StatefulSet', 'db', 'db-12', true],
    ['StatefulSet', 'db', 'db-primary-0', false],
    ['DaemonSet', 'agent', 'agent-z8w2q', true],
    ['DaemonSet', 'agent', 'agent-extra-z8w2q', false],
    ['ReplicaSet', 'web-7c9d8f6b5b', 'web-7c9d8f6b5b-x2k4m', true],
  ] as const)('%s %s matches %s: %s', (kind, name, pod, ok) => expect(matches(kind, name, pod)).toBe(ok));

  it('has a size independent of the pod count', () => expect(podNamePattern('Deployment', 'web').length).toBeLessThan(100));
});

describe('queries', () => {
  const q = { namespace: 'shop', kind: 'Deployment' as const, name: 'web', resource: 'cpu' as const, percentile: 95, windowMs: 7 * 86_400_000, stepMs: 300_000 };

  it('CPU: the rate of the usage counter per (pod, container), sidecar sandbox and pod-level series excluded', () => {
    const e = usageExpr(q);
    expect(e).toMatch(/^sum by \(pod, container\) \(rate\(container_cpu_usage_seconds_total\{namespace="shop",pod=~".+",container!="",container!="POD"\}\[5m\]\)\)$/);
  });

  it('memory: the peak working set within each step', () => {
    expect(usageExpr({ ...q, resource: 'memory' })).toContain('max_over_time(container_memory_working_set_bytes{');
    expect(usageExpr({ ...q, resource: 'memory' })).toContain('[300s]');
  });

  it('one query carries the percentile, the count and the first sample time', () => {
    const s = usageStatsQuery(q);
    expect(s).toContain('quantile_over_time(0.95, (');
    expect(s).toContain('[604800s:300s]');
    expect(s.match(/label_replace/g)).toHaveLength(3);
    expect(s).toContain('"stat", "count"');
  });

  it('custom templates get the placeholders filled', () => {
    expect(renderCustom('rate(my_cpu{ns="{{namespace}}",pod=~"{{pod_regex}}"}[{{step}}]) # {{kind}}/{{workload}}', q)).toBe(
      `rate(my_cpu{ns="shop",pod=~"${podNamePattern('Deployment', 'web')}"}[300s]) # Deployment/web`,
    );
  });

  it('escapes string literals', () => expect(str('a"b\\c')).toBe('"a\\"b\\\\c"'));
});
