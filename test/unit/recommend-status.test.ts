// The Recommend-mode decision (pure): snapshot + now → status. Fixed clock, table of situations.
import { describe, expect, it } from 'vitest';
import { parseResizePolicySpec } from '../../src/api/resize-policy.ts';
import type { ResizePolicySpec } from '../../src/api/spec.ts';
import type { ResizePolicyStatus } from '../../src/api/status.ts';
import { invalidSpecStatus, recommendStatus, type RecommendSnapshot, type WorkloadTemplate } from '../../src/core/recommend-status.ts';
import type { ContainerUsage, UsageAnswer } from '../../src/core/usage.ts';

const NOW = Date.UTC(2026, 10, 22, 12);
const DAY = 86_400_000;
const Mi = 2 ** 20;

function spec(extra: Record<string, unknown> = {}): ResizePolicySpec {
  const r = parseResizePolicySpec({ targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, ...extra });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.spec;
}

const web: WorkloadTemplate = {
  kind: 'Deployment',
  name: 'web',
  containers: [
    { name: 'app', requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
    { name: 'istio-proxy', requests: { cpu: '100m', memory: '128Mi' } },
  ],
};

const usage = (cpuCores: number, memBytes: number, dataPoints = 2016, spanMs = 7 * DAY): { cpu: UsageAnswer; memory: UsageAnswer } => {
  const u = (p: number): ContainerUsage => ({ container: 'app', percentile: p, dataPoints, spanMs, pods: 3 });
  return { cpu: { ok: true, byContainer: new Map([['app', u(cpuCores)]]) }, memory: { ok: true, byContainer: new Map([['app', u(memBytes)]]) } };
};
const down: { cpu: UsageAnswer; memory: UsageAnswer } = {
  cpu: { ok: false, kind: 'Unreachable', message: 'Prometheus is unreachable (ECONNREFUSED)' },
  memory: { ok: false, kind: 'Unreachable', message: 'Prometheus is unreachable (ECONNREFUSED)' },
};

function snap(over: Partial<RecommendSnapshot>): RecommendSnapshot {
  return { generation: 3, spec: spec(), target: { found: true, workloads: [web] }, usage: new Map([['Deployment/web', usage(0.3, 300 * Mi)]]), staleAfterMs: 30 * 60_000, ...over };
}
const cond = (s: ResizePolicyStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('recommendStatus', () => {
  it('publishes per-container recommendations with explanation, skipping well-known sidecars', () => {
    const s = recommendStatus(snap({}), NOW);
    expect(s.observedGeneration).toBe(3);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'RecommendationsPublished', observedGeneration: 3 });
    expect(cond(s, 'MetricsAvailable')).toMatchObject({ status: 'True', reason: 'QuerySucceeded' });
    expect(cond(s, 'InvalidSpec')).toMatchObject({ status: 'False', reason: 'SpecValid' });
    const containers = s.workloads![0]!.containers!;
    expect(containers.map((c) => c.name)).toEqual(['app']);
    const app = containers[0]!;
    expect(app.current).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } });
    // cpu: 300m × 1.15 = 345m, but one cycle moves at most 50 % down from 1 → 500m; limit keeps 2:1.
    expect(app.recommended).toEqual({ requests: { cpu: '500m', memory: '717Mi' }, limits: { cpu: '1', memory: '1434Mi' } });
    expect(app.explanation!.filter((e) => e.resource === 'cpu').map((e) => e.step)).toEqual(expect.arrayContaining(['percentile', 'overhead', 'maxChange', 'rounding']));
    expect(app.lastUpdated).toBe(new Date(NOW).toISOString());
    expect(app.stale).toBe(false);
    expect(app.confidence).toBe(1);
  });

  it('with too little data: no recommendation, and the condition says what is missing', () => {
    const s = recommendStatus(snap({ usage: new Map([['Deployment/web', usage(0.3, 300 * Mi, 37, 5 * 3_600_000)]]) }), NOW);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InsufficientData' });
    expect(cond(s, 'Ready').message).toMatch(/need 100 samples over 24h, have 37 over 5h/);
    expect(s.workloads![0]!.containers![0]!.recommended).toBeUndefined();
  });

  it('no data at all for a container is insufficient data, not an error', () => {
    const empty = { cpu: { ok: true as const, byContainer: new Map() }, memory: { ok: true as const, byContainer: new Map() } };
    const s = recommendStatus(snap({ usage: new Map([['Deployment/web', empty]]) }), NOW);
    expect(cond(s, 'Ready').reason).toBe('InsufficientData');
    expect(cond(s, 'MetricsAvailable').status).toBe('True');
  });

  it('metrics down: keeps the last recommendation with its time, says why, and invents nothing', () => {
    const first = recommendStatus(snap({}), NOW);
    const later = recommendStatus(snap({ usage: new Map([['Deployment/web', down]]), previous: first }), NOW + 60_000);
    expect(cond(later, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusUnreachable' });
    expect(cond(later, 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
    const app = later.workloads![0]!.containers![0]!;
    expect(app.recommended).toEqual(first.workloads![0]!.containers![0]!.recommended);
    expect(app.lastUpdated).toBe(new Date(NOW).toISOString());
    expect(app.stale).toBe(false);
    expect(app.message).toMatch(/metrics unavailable: Prometheus is unreachable/);

    const muchLater = recommendStatus(snap({ usage: new Map([['Deployment/web', down]]), previous: later }), NOW + 31 * 60_000);
    expect(muchLater.workloads![0]!.containers![0]!.stale).toBe(true);
    expect(muchLater.workloads![0]!.containers![0]!.message).toMatch(/is stale$/);
  });

  it('metrics down before any recommendation: none is made up', () => {
    const s = recommendStatus(snap({ usage: new Map([['Deployment/web', down]]) }), NOW);
    expect(s.workloads![0]!.containers![0]!.recommended).toBeUndefined();
    expect(s.workloads![0]!.containers![0]!.stale).toBe(true);
  });

  it.each([
    ['Timeout', 'QueryTimeout'],
    ['Unauthorized', 'Unauthorized'],
    ['BadQuery', 'QueryFailed'],
    ['BadResponse', 'InvalidResponse'],
  ] as const)('a %s error is reported as %s', (kind, reason) => {
    const failed = { cpu: { ok: false as const, kind, message: 'x' }, memory: usage(1, 1).memory };
    expect(cond(recommendStatus(snap({ usage: new Map([['Deployment/web', failed]]) }), NOW), 'MetricsAvailable').reason).toBe(reason);
  });

  it('no metrics source or a missing Secret', () => {
    const s = recommendStatus(snap({ usage: new Map(), metricsConfigError: { reason: 'SecretNotFound', message: 'spec.metrics.prometheus.bearerTokenSecretRef: Secret ns/t key token: not found' } }), NOW);
    expect(cond(s, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(cond(s, 'Ready').reason).toBe('MetricsUnavailable');
  });

  it('a missing target', () => {
    const s = recommendStatus(snap({ target: { found: false, reason: 'TargetNotFound', message: 'Deployment ns/web does not exist' } }), NOW);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'TargetNotFound', message: 'Deployment ns/web does not exist' });
    expect(s.workloads).toEqual([]);
  });

  it('containers excluded by spec.containers are not sized; an empty selection says so', () => {
    const s = recommendStatus(snap({ spec: spec({ containers: { exclude: ['app'] } }) }), NOW);
    expect(cond(s, 'Ready').reason).toBe('NoMatchingWorkloads');
    const withSidecar = recommendStatus(snap({ spec: spec({ containers: { include: ['istio-proxy'] } }) }), NOW);
    expect(withSidecar.workloads![0]!.containers!.map((c) => c.name)).toContain('istio-proxy');
  });

  it('keeps a condition’s lastTransitionTime while its status does not change', () => {
    const first = recommendStatus(snap({}), NOW);
    const second = recommendStatus(snap({ previous: first }), NOW + 300_000);
    expect(cond(second, 'Ready').lastTransitionTime).toBe(cond(first, 'Ready').lastTransitionTime);
    const third = recommendStatus(snap({ previous: second, usage: new Map([['Deployment/web', down]]) }), NOW + 600_000);
    expect(cond(third, 'Ready').lastTransitionTime).toBe(new Date(NOW + 600_000).toISOString());
  });

  it('an invalid stored spec: InvalidSpec True with the fields, Ready False, earlier data kept', () => {
    const good = recommendStatus(snap({}), NOW);
    const s = invalidSpecStatus(['spec.cpu.percentile: must be > 0'], 4, good, NOW + 1);
    expect(cond(s, 'InvalidSpec')).toMatchObject({ status: 'True', reason: 'ValidationFailed', message: 'spec.cpu.percentile: must be > 0' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(s.observedGeneration).toBe(4);
    expect(s.workloads).toEqual(good.workloads);
  });
});
