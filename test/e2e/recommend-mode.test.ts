// Recommend mode end to end: the real operator process against the local environment (control
// plane, simulated kubelet, Prometheus with two days of the `oversized` scenario's history),
// running as the `attune` ServiceAccount with exactly the RBAC of deploy/rbac.yaml.
// The published recommendations match an independent computation from the scenario's profile;
// no pod is touched; stopping Prometheus flips MetricsAvailable within a refresh and restarting
// it recovers; a policy whose target does not exist says so.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { startLocalEnv, type LocalEnv } from '../../hack/cluster/local-env.ts';
import { installOperatorIdentity } from '../../hack/cluster/operator-identity.ts';
import { startPrometheus } from '../../hack/prometheus/prometheus.ts';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import { clients, eventually, type Clients } from '../support/kube.ts';
import { condition as cond, policies, startOperator, type RunningOperator } from '../support/operator.ts';

const NS = 'oversized';
let env: LocalEnv;
let runDir: string;
let operator: RunningOperator;
let c: Clients;
let rsp: ReturnType<typeof policies>;

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'attune-e2e-recommend-'));
  env = await startLocalEnv({ runDir, nodes: 2, scenario: 'oversized', historyDays: 2, removeOnStop: true });
  c = clients(env.cluster.kubeconfig);
  rsp = policies(c.kc, NS);
  // The operator's identity: the CRD, deploy/rbac.yaml, and a token of its ServiceAccount.
  const saKubeconfig = await installOperatorIdentity(env.cluster.kubeconfig, runDir);
  operator = await startOperator(['--kubeconfig', saKubeconfig, '--prometheus-url', env.prometheus.url, '--refresh', '3s', '--query-timeout', '2s']);
}, 300_000);

afterAll(async () => {
  operator?.stop();
  await env?.stop();
  await rm(runDir, { recursive: true, force: true });
});

const createPolicy = (name: string, spec: Record<string, unknown>) => rsp.create(name, spec);
/** The operator's reconcile counter, from its /metrics. */
const reconciles = async () => Number(/^attune_reconciles (\d+)$/m.exec(await (await fetch(`http://${operator.address()}/metrics`)).text())![1]);
const statusOf = (name: string) => rsp.status(name);
const podsSnapshot = async () =>
  (await c.core.listNamespacedPod({ namespace: NS })).items.map((p: V1Pod) => ({ name: p.metadata!.name, generation: p.metadata!.generation, resources: JSON.stringify(p.spec!.containers.map((x) => x.resources)) }));

describe('Recommend mode', () => {
  it('publishes recommendations that match the profile, and touches no pod', async () => {
    const before = await podsSnapshot();
    // maxChangePercent 100: the step clamp does not hide the percentile × overhead arithmetic.
    await createPolicy('frontend', {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'oversized' },
      cpu: { percentile: 95, overhead: 15, maxChangePercent: 100, minChangePercent: 0 },
      memory: { percentile: 99, overhead: 15, maxChangePercent: 100, minChangePercent: 0 },
      metrics: { historyWindow: '2d', step: '5m' },
    });
    const status = await eventually(async () => {
      const s = await statusOf('frontend');
      expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'RecommendationsPublished' });
      return s;
    }, 60_000);
    expect(cond(status, 'MetricsAvailable')).toMatchObject({ status: 'True' });
    expect(cond(status, 'InvalidSpec')).toMatchObject({ status: 'False' });
    const app = status.workloads![0]!.containers![0]!;
    expect(app.current).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } });

    // Independent computation from the scenario's profile (test/scenarios/oversized.yaml):
    //  cpu 250m × (1 + 0.2·sin(day)) (+ noise averaged out by the 5m rate): p95 of the daily sine is
    //  cos(0.05π) = 0.988 → 250m × 1.198 = 299m; × 1.15 overhead = 344m.
    //  memory 256Mi × (1 ± 2 %), peak per 5 m step: p99 ≈ 256Mi × 1.02 = 261Mi; × 1.15 = 300Mi.
    const cpu = Number(toMillicores(app.recommended!.requests!.cpu!));
    const mem = Number(toBytes(app.recommended!.requests!.memory!)) / 2 ** 20;
    expect(cpu / 344).toBeGreaterThan(0.95);
    expect(cpu / 344).toBeLessThan(1.05);
    expect(mem / 300).toBeGreaterThan(0.95);
    expect(mem / 300).toBeLessThan(1.05);
    // Limits keep their 2:1 ratio to the requests.
    expect(Number(toMillicores(app.recommended!.limits!.cpu!))).toBe(2 * cpu);
    expect(app.explanation!.map((s) => `${s.resource}:${s.step}`)).toEqual(expect.arrayContaining(['cpu:percentile', 'cpu:overhead', 'memory:percentile', 'memory:rounding']));
    expect(app.confidence).toBeGreaterThan(0.9);
    expect(app.dataPoints).toBeGreaterThan(500);

    // Recommend mode never modifies a pod, also on later refresh passes.
    const seen = await reconciles();
    await eventually(async () => expect(await reconciles()).toBeGreaterThanOrEqual(seen + 2), 30_000);
    expect(await podsSnapshot()).toEqual(before);
  });

  it('reconciles at the refresh rate, not in a loop on its own status writes', async () => {
    const before = await reconciles();
    await new Promise((r) => setTimeout(r, 6_000));
    const during = (await reconciles()) - before;
    // One policy, refresh 3s: about 2 reconciles in 6 s. A write → update → reconcile loop makes hundreds.
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(6);
  });

  it('a missing target is reported in the Ready condition', async () => {
    await createPolicy('ghost', { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'does-not-exist' } });
    await eventually(async () => expect(cond(await statusOf('ghost'), 'Ready')).toMatchObject({ status: 'False', reason: 'TargetNotFound' }), 30_000);
  });

  it('Prometheus down flips MetricsAvailable within a refresh; back up, it recovers', async () => {
    const { port, tsdbDir } = env.prometheus;
    await env.prometheus.stop();
    const down = await eventually(async () => {
      const s = await statusOf('frontend');
      expect(cond(s, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusUnreachable' });
      return s;
    }, 20_000);
    expect(cond(down, 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
    // The last recommendation is kept with its time, not invented anew.
    const kept = down.workloads![0]!.containers![0]!;
    expect(kept.recommended).toBeDefined();
    expect(kept.message).toMatch(/metrics unavailable/);

    const again = await startPrometheus({ runDir: join(tsdbDir, '..'), scrapeTargets: [env.kubelet.metricsAddress], port });
    env.prometheus = again;
    await eventually(async () => expect(cond(await statusOf('frontend'), 'MetricsAvailable')).toMatchObject({ status: 'True' }), 30_000);
    expect(cond(await statusOf('frontend'), 'Ready')).toMatchObject({ status: 'True' });
  });
});
