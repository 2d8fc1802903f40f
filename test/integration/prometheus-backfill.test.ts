// A week of simulated history, backfilled with promtool into a real Prometheus, must say what the
// profiles say: PromQL p95s over the week match the p95s computed here from the same model, CFS
// counters show throttling where the CPU limit is below demand, OOM kills show in the restart
// counters, and a live /metrics endpoint continues every counter without a reset.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBinaries } from '../../hack/cluster/binaries.ts';
import { waitFor } from '../../hack/cluster/probe.ts';
import { startPrometheus, tsdbDirFor, type RunningPrometheus } from '../../hack/prometheus/prometheus.ts';
import { backfill, backfillKey, type BackfillContainer, type BackfillResult } from '../../hack/sim/backfill.ts';
import { step, type ContainerState } from '../../hack/sim/container-model.ts';
import { renderPrometheusText } from '../../hack/sim/exposition.ts';
import { DAY_MS, NOISE_STEP_MS, demandAt, parseProfile, profileFor, resourceSeed, type PodProfile } from '../../hack/sim/profile.ts';

const MiB = 2 ** 20;
const DAYS = 7;
const STEP_MS = 60_000;
const WINDOW_MS = 5 * 60_000;
// The last backfilled sample, on the 5 min grid so the PromQL subquery steps land on samples.
const END_MS = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
const START_MS = END_MS - DAYS * DAY_MS;

function profile(yaml: string): PodProfile {
  const r = parseProfile(yaml);
  if (!r.ok) throw new Error(r.error);
  return r.profile;
}

const web = profile(`
containers:
  app:
    cpu: { base: 500m, dailyAmplitude: 0.4 }
    memory: { base: 256Mi, dailyAmplitude: 0.1, noise: 0.05 }
  sidecar:
    cpu: { base: 100m, noise: 0.3, spikes: { every: 1h, duration: 5m, magnitude: 3 } }
    memory: { base: 64Mi, growthPerDay: 0.02, noise: 0.1 }
`);
const batch = profile(`
containers:
  worker: { cpu: { base: 1 }, memory: { base: 200Mi, noise: 0.02 } }
  leaky: { cpu: { base: 50m, noise: 0.2 }, memory: { base: 100Mi, growthPerDay: 0.5 } }
`);

function container(pod: string, uid: string, name: string, p: PodProfile, limits: BackfillContainer['limits']): BackfillContainer {
  return { namespace: 'sim', pod, uid, container: name, image: `example.com/${name}:1`, node: 'node-1', requests: { cpuCores: 0.1, memoryBytes: 64 * MiB }, limits, profile: profileFor(p, name), seed: `sim/${pod}/${name}` };
}

const CONTAINERS: BackfillContainer[] = [
  container('web-1', 'uid-web-1', 'app', web, {}),
  container('web-1', 'uid-web-1', 'sidecar', web, { cpuCores: 2 }),
  container('batch-1', 'uid-batch-1', 'worker', batch, { cpuCores: 0.5, memoryBytes: 1024 * MiB }),
  container('batch-1', 'uid-batch-1', 'leaky', batch, { memoryBytes: 200 * MiB }),
];
const byName = (name: string) => CONTAINERS.find((c) => c.container === name)!;

/** Prometheus's quantile (promql/quantile.go): linear interpolation between closest ranks. */
function quantile(q: number, values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const rank = q * (v.length - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(v.length - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return v[lower]! * (1 - weight) + v[upper]! * weight;
}

/** p95 over the week of 5 min average CPU usage, straight from the profile (no container model). */
function expectedCpuP95(c: BackfillContainer): number {
  const seed = resourceSeed(c.seed, 'cpu');
  const averages: number[] = [];
  for (let end = START_MS + WINDOW_MS; end <= END_MS; end += WINDOW_MS) {
    let sum = 0;
    for (let t = end - WINDOW_MS; t < end; t += NOISE_STEP_MS) sum += Math.min(demandAt(c.profile.cpu, seed, START_MS, t), c.limits.cpuCores ?? Infinity);
    averages.push(sum / (WINDOW_MS / NOISE_STEP_MS));
  }
  return quantile(0.95, averages);
}

/** p95 of the working set samples; the value reported at t is that of the bucket just completed. */
function expectedMemoryP95(c: BackfillContainer): number {
  const seed = resourceSeed(c.seed, 'memory');
  const values: number[] = [];
  for (let t = START_MS + STEP_MS; t <= END_MS; t += STEP_MS) values.push(demandAt(c.profile.memory, seed, START_MS, t - NOISE_STEP_MS));
  return quantile(0.95, values);
}

let runDir: string;
let prom: RunningPrometheus | undefined;
let live: Server | undefined;
let result: BackfillResult;
let scrapes = 0;

async function query(expr: string, atMs?: number): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const url = new URL('/api/v1/query', prom!.url);
  url.searchParams.set('query', expr);
  if (atMs !== undefined) url.searchParams.set('time', String(atMs / 1000));
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** One value per container name, failing if a container is missing or duplicated. */
async function perContainer(expr: string, atMs?: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await query(expr, atMs)) {
    const name = r.metric.container!;
    expect(out[name], `${name} twice in ${expr}`).toBeUndefined();
    out[name] = r.value;
  }
  return out;
}

/** A live /metrics endpoint that continues the backfilled states to the time of each scrape. */
function serveLive(finalStates: Map<string, ContainerState>): Promise<Server> {
  const states = new Map(finalStates);
  let lastMs = END_MS;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    const now = Date.now();
    const samples = CONTAINERS.map((c) => {
      const key = backfillKey(c);
      const state = now > lastMs ? step(states.get(key)!, c.profile, c.limits, c.seed, lastMs, now).state : states.get(key)!;
      states.set(key, state);
      return { ...c, podUid: c.uid, state };
    });
    lastMs = Math.max(lastMs, now);
    scrapes++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(renderPrometheusText(samples));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'attune-prom-'));
  const { promtool } = resolveBinaries();
  // Small files force one file (and one set of blocks) per pod: Prometheus must merge them.
  result = await backfill({ promtool, outDir: tsdbDirFor(runDir), containers: CONTAINERS, endMs: END_MS, days: DAYS, stepMs: STEP_MS, workDir: runDir, maxFileBytes: 10 * MiB });
  console.log(`backfill: ${CONTAINERS.length} containers × ${DAYS} d at ${STEP_MS / 1000} s: ${result.samples} samples, ${(result.bytes / 1e6).toFixed(1)} MB in ${result.files} files, ${result.seconds.toFixed(1)} s`);
  expect(result.files).toBe(2);
  live = await serveLive(result.finalStates);
  const address = live.address();
  if (address === null || typeof address === 'string') throw new Error('live endpoint has no port');
  prom = await startPrometheus({ runDir, scrapeTargets: [`127.0.0.1:${address.port}`], scrapeIntervalS: 2 });
});

afterAll(async () => {
  await prom?.stop();
  await new Promise<void>((resolve) => (live ? live.close(() => resolve()) : resolve()));
  if (runDir && process.env.ATTUNE_KEEP_RUN !== '1') await rm(runDir, { recursive: true, force: true });
});

describe('a backfilled week in Prometheus', () => {
  it('CPU p95 of 5 min rates over the week matches the profile within 5%', async () => {
    const got = await perContainer(`quantile_over_time(0.95, sum by (namespace,pod,container)(rate(container_cpu_usage_seconds_total{container!=""}[5m]))[7d:5m])`, END_MS);
    expect(Object.keys(got).sort()).toEqual(['app', 'leaky', 'sidecar', 'worker']);
    for (const name of ['app', 'sidecar', 'worker']) {
      const want = expectedCpuP95(byName(name));
      console.log(`CPU p95 ${name}: PromQL ${got[name]} vs profile ${want} (${((got[name]! - want) / want).toExponential(1)} relative)`);
      expect(Math.abs(got[name]! - want) / want, `${name}: PromQL ${got[name]} vs profile ${want}`).toBeLessThan(0.05);
    }
    // Independently of the code: a 0.5 core base with a ±40% daily sine has p95 0.5 × (1 + 0.4 cos(0.05π)).
    expect(got.app).toBeCloseTo(0.5 * (1 + 0.4 * Math.cos(0.05 * Math.PI)), 2);
    // The worker wants 1 core and is capped at its 0.5 core limit.
    expect(got.worker).toBeCloseTo(0.5, 6);
  });

  it('memory p95 of the working set over the week matches the profile within 5%', async () => {
    const got = await perContainer(`quantile_over_time(0.95, container_memory_working_set_bytes{container!=""}[7d])`, END_MS);
    for (const name of ['app', 'sidecar', 'worker']) {
      const want = expectedMemoryP95(byName(name));
      console.log(`memory p95 ${name}: PromQL ${got[name]} vs profile ${want} (${((got[name]! - want) / want).toExponential(1)} relative)`);
      expect(Math.abs(got[name]! - want) / want, `${name}: PromQL ${got[name]} vs profile ${want}`).toBeLessThan(0.05);
    }
  });

  it('shows CFS throttling only where the CPU limit is below demand', async () => {
    const throttled = await perContainer('rate(container_cpu_cfs_throttled_periods_total[5m]) > 0', END_MS);
    expect(Object.keys(throttled)).toEqual(['worker']);
    // Demand 1 core, limit 0.5 core: half of the periods are throttled.
    const ratio = await perContainer('rate(container_cpu_cfs_throttled_periods_total[5m]) / rate(container_cpu_cfs_periods_total[5m])', END_MS);
    expect(ratio).toEqual({ sidecar: 0, worker: expect.closeTo(0.5, 6) as number });
  });

  it('shows OOM kills of the leaking container in the restart counters', async () => {
    const restarts = await perContainer('kube_pod_container_status_restarts_total', END_MS);
    const leaky = result.finalStates.get(backfillKey(byName('leaky')))!;
    expect(leaky.restarts).toBe(3); // 100 Mi growing 50%/day under a 200 Mi limit: killed every 2 days
    expect(restarts).toEqual({ app: 0, sidecar: 0, worker: 0, leaky: 3 });
    expect(await perContainer('increase(kube_pod_container_status_restarts_total[7d]) > 0', END_MS)).toHaveProperty('leaky');
    const reasons = await query('kube_pod_container_status_last_terminated_reason', END_MS);
    expect(reasons.map((r) => [r.metric.container, r.metric.reason])).toEqual([['leaky', 'OOMKilled']]);
  });

  it('has pod-level series with container="" that sum the containers', async () => {
    const podLevel = await query('container_cpu_usage_seconds_total{container=""}', END_MS);
    const sums = await query('sum by (pod)(container_cpu_usage_seconds_total{container!=""})', END_MS);
    expect(podLevel.map((r) => r.metric.pod).sort()).toEqual(['batch-1', 'web-1']);
    for (const r of podLevel) expect(r.value).toBeCloseTo(sums.find((s) => s.metric.pod === r.metric.pod)!.value, 6);
    // The last backfilled value is the final state the live side continues from.
    const app = await perContainer('container_cpu_usage_seconds_total{container="app"}', END_MS);
    expect(app.app).toBe(result.finalStates.get(backfillKey(byName('app')))!.cpuSecondsTotal);
  });

  it('continues every counter live after the backfilled range, without a reset', async () => {
    await waitFor(
      'live samples after the backfilled range',
      async () => (await query(`timestamp(container_cpu_usage_seconds_total{container="app"}) > ${END_MS / 1000}`)).length === 1 && scrapes >= 2,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect((await query('up{job="kubelet"}')).map((r) => r.value)).toEqual([1]);
    for (const counter of ['container_cpu_usage_seconds_total{container!=""}', 'container_cpu_cfs_periods_total', 'kube_pod_container_status_restarts_total']) {
      const resets = await query(`resets(${counter}[8d])`);
      expect(resets.length, counter).toBeGreaterThanOrEqual(2);
      for (const r of resets) expect(r.value, `${counter} of ${r.metric.container}`).toBe(0);
    }
    const span = await perContainer('count_over_time(container_cpu_usage_seconds_total{container="app"}[8d])');
    expect(span.app).toBeGreaterThan(DAYS * 1440);
  });
});
