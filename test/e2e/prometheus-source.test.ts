// The Prometheus adapter against the real Prometheus of the local environment, holding two days
// of the `steady` scenario's history: one query per workload and resource returns, per container,
// a percentile that matches the profile, the data count and the span. Stopping Prometheus turns
// the next answer into a typed Unreachable error.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalEnv, type LocalEnv } from '../../hack/cluster/local-env.ts';
import { PrometheusSource } from '../../src/metrics/prometheus-source.ts';
import { MetricsError } from '../../src/metrics/source.ts';

const DAY = 86_400_000;
let env: LocalEnv;
let runDir: string;

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'attune-e2e-metrics-'));
  env = await startLocalEnv({ runDir, nodes: 2, scenario: 'steady', historyDays: 2, removeOnStop: true });
});
afterAll(async () => {
  await env?.stop();
  await rm(runDir, { recursive: true, force: true });
});

const base = { namespace: 'steady', kind: 'Deployment' as const, name: 'steady', windowMs: 2 * DAY, stepMs: 300_000 };

it('answers percentiles that match the profile, with data count and span, in one query per resource', async () => {
  const src = new PrometheusSource({ url: env.prometheus.url });
  const endMs = Date.now();
  const [cpu, mem] = await Promise.all([
    src.usage({ ...base, resource: 'cpu', percentile: 95, endMs }),
    src.usage({ ...base, resource: 'memory', percentile: 99, endMs }),
  ]);
  expect([...cpu.keys()]).toEqual(['app']);
  const c = cpu.get('app')!;
  const m = mem.get('app')!;
  expect(c.pods).toBe(3);
  // 2 days at a 5 m step, 3 pods: 3 × 576 points (± the window's edges).
  expect(c.dataPoints).toBeGreaterThan(3 * 570);
  expect(c.dataPoints).toBeLessThanOrEqual(3 * 577);
  expect(c.spanMs / DAY).toBeCloseTo(2, 1);
  // Profile: cpu 200m ± 10 % uniform noise per 15 s, averaged by rate over 5 m (20 buckets):
  // σ = 0.1/√3/√20 ≈ 1.3 %, so p95 ≈ 200m × (1 + 1.645 σ) ≈ 204m.
  expect(c.percentile / 0.204).toBeGreaterThan(0.95);
  expect(c.percentile / 0.204).toBeLessThan(1.05);
  // Memory 300Mi ± 2 %, peak per 5 m step: p99 within 2 % above 300Mi.
  expect(m.percentile / (306 * 2 ** 20)).toBeGreaterThan(0.95);
  expect(m.percentile / (306 * 2 ** 20)).toBeLessThan(1.05);
});

it('a workload without data is an empty answer, not an error', async () => {
  const src = new PrometheusSource({ url: env.prometheus.url });
  expect((await src.usage({ ...base, name: 'no-such-workload', resource: 'cpu', percentile: 95, endMs: Date.now() })).size).toBe(0);
});

it('Prometheus stopped → Unreachable', async () => {
  const src = new PrometheusSource({ url: env.prometheus.url, timeoutMs: 2_000 });
  await env.prometheus.stop();
  const e = (await src.usage({ ...base, resource: 'cpu', percentile: 95, endMs: Date.now() }).catch((x: unknown) => x)) as MetricsError;
  expect(e).toBeInstanceOf(MetricsError);
  expect(e.kind).toBe('Unreachable');
});
