// Benchmark: one full recommendation pass of the operator over BENCH_WORKLOADS Deployments
// (default 1,000), each with BENCH_PODS pods (default 10) × BENCH_CONTAINERS containers (default 2)
// of history in a real Prometheus, on a real local control plane. Records
//  - pass wall time: from spawning the operator (and from its `ready` line) until every
//    ResizePolicy has a Ready condition (seen through a watch; BENCH_PASS_END=list polls the list
//    every 500 ms instead, which costs the apiserver more than the pass at this size);
//  - Prometheus queries issued and bytes received, status writes (the operator's /metrics);
//  - the operator's RSS (current and peak) and the CPU time each process spent during the pass.
// Knobs: BENCH_WORKLOADS, BENCH_PODS, BENCH_CONTAINERS, BENCH_HISTORY_DAYS, BENCH_STEP,
// BENCH_OPERATOR_WORKERS (default 8), BENCH_LOG_LEVEL, BENCH_PASS_END, BENCH_TIMEOUT_S, and for
// investigation BENCH_OPERATOR_NODE_ARGS, BENCH_HOLD_S, BENCH_KEEP_RUN_DIR.
// The operator runs with the Node options it is deployed with (NODE_OPTIONS in
// deploy/operator.yaml: its heap budget), then BENCH_OPERATOR_NODE_ARGS; the machine's load average
// during the pass is recorded, since other work on the same cores slows Prometheus and the pass.
// The Deployments have `replicas: 0`: a recommendation starts from the pod template, and the usage
// comes from Prometheus (BENCH_HISTORY_DAYS days at BENCH_STEP, backfilled with promtool for pod
// names that match each Deployment's pod-name pattern). No pods, no scheduler, no kubelet: what is
// measured is the recommendation pass. Figures go to bench/results/recommend-pass.{json,md}.
// Bounded: aborts after BENCH_TIMEOUT_S (default 20 min); every process started stops at the end,
// also on failure.
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { REPO_ROOT, resolveBinaries } from '../hack/cluster/binaries.ts';
import { startCluster } from '../hack/cluster/cluster.ts';
import { applyManifests } from '../hack/cluster/local-env.ts';
import { startProcess, type ManagedProcess } from '../hack/cluster/process.ts';
import { startPrometheus, tsdbDirFor, type RunningPrometheus } from '../hack/prometheus/prometheus.ts';
import { backfill, type BackfillContainer } from '../hack/sim/backfill.ts';
import type { ContainerProfile } from '../hack/sim/profile.ts';
import { parseDuration } from '../hack/sim/units.ts';
import { CRD_NAME, GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import { usageStatsQuery } from '../src/metrics/promql.ts';
import { deployedNodeOptions, machineCpuSeconds, pool, rssOf, timeout } from './lib.ts';

const WORKLOADS = Number(process.env.BENCH_WORKLOADS ?? 1_000);
const PODS = Number(process.env.BENCH_PODS ?? 10);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 2);
const HISTORY_DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 1);
const STEP = process.env.BENCH_STEP ?? '5m';
const WORKERS = Number(process.env.BENCH_OPERATOR_WORKERS ?? 8);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const STEP_MS = parseDuration(STEP);
const PASS_END = process.env.BENCH_PASS_END ?? 'watch';
/** For investigation: extra node flags for the operator (e.g. --max-old-space-size=128), and a
 *  pause after the results are written with everything still running. */
const OPERATOR_NODE_ARGS = (process.env.BENCH_OPERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
const DEPLOYED_NODE_OPTIONS = await deployedNodeOptions();
const HOLD_S = Number(process.env.BENCH_HOLD_S ?? 0);
const CONCURRENCY = 32;
const POLL_MS = 500;
const NS = 'bench';
const MiB = 2 ** 20;
/** Kubernetes's alphabet for generated name suffixes (as in src/metrics/promql.ts). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const TARGETS = { queriesPerWorkload: 2, passSeconds: 60, rssMiB: 300 };

if (PASS_END !== 'watch' && PASS_END !== 'list') throw new Error(`BENCH_PASS_END: watch or list, got ${PASS_END}`);
if (STEP_MS === undefined || !(STEP_MS > 0)) throw new Error(`BENCH_STEP: not a duration: ${STEP}`);
for (const [k, v] of Object.entries({ WORKLOADS, PODS, CONTAINERS, HISTORY_DAYS, OPERATOR_WORKERS: WORKERS })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`BENCH_${k}: must be a whole number ≥ 1, got ${v}`);
}

const stopTimer = timeout(Number(process.env.BENCH_TIMEOUT_S ?? 1_200) * 1000, 'recommend-pass benchmark');
const runDir = await mkdtemp(join(tmpdir(), 'attune-bench-recommend-'));
console.error(`run dir: ${runDir} (removed after a successful run)`);
const cluster = await startCluster({ runDir, removeOnStop: false });
let prometheus: RunningPrometheus | undefined;
let operator: ManagedProcess | undefined;
let ok = false;
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ext = kc.makeApiClient(ApiextensionsV1Api);

  // --- 1. the CRD, the namespace, the Deployments ------------------------------------------------
  await applyManifests(cluster.kubeconfig, join(REPO_ROOT, 'crds', 'attune.dev_resizepolicies.yaml'));
  await core.createNamespace({ body: { metadata: { name: NS } } });
  const workloads = Array.from({ length: WORKLOADS }, (_, w) => workloadOf(w));
  const d0 = Date.now();
  await pool(workloads, CONCURRENCY, (w) =>
    apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: w.name, labels: { app: w.name } },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: w.name } },
          template: {
            metadata: { labels: { app: w.name } },
            spec: {
              containers: w.containers.map((c) => ({
                name: c.name,
                image: 'registry.example/bench:1',
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              })),
            },
          },
        },
      },
    }),
  );
  const deploymentsSeconds = (Date.now() - d0) / 1000;
  console.error(`${WORKLOADS} Deployments created in ${deploymentsSeconds.toFixed(1)} s`);

  // --- 2. history, then Prometheus ----------------------------------------------------------------
  // The last sample on the step grid: the operator's subquery evaluates at multiples of the step,
  // so with a 5m step each rate(…[5m]) window holds two samples (Prometheus 2.x: closed range).
  const endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  const promDir = join(runDir, 'prometheus');
  const history = await backfill({
    promtool: resolveBinaries().promtool,
    outDir: tsdbDirFor(promDir),
    workDir: join(promDir, 'backfill'),
    endMs,
    days: HISTORY_DAYS,
    stepMs: STEP_MS,
    // Fewer, larger files than the default: each import adds overlapping blocks Prometheus must merge.
    maxFileBytes: 1024 * MiB,
    containers: workloads.flatMap((w) => w.pods.flatMap((pod) => w.containers.map((c) => backfillContainer(pod, c)))),
  });
  const tsdbBytes = await sizeOf(tsdbDirFor(promDir));
  console.error(`backfill: ${history.samples} samples, ${(history.bytes / 2 ** 30).toFixed(1)} GiB text in ${history.files} file(s), ${history.seconds.toFixed(0)} s`);
  prometheus = await startPrometheus({ runDir: promDir, scrapeTargets: [] });
  const promStartedAt = Date.now();
  // Each promtool import wrote its own (overlapping) blocks; Prometheus merges them in a background
  // compaction a minute or so after start. Let that finish first, so it does not compete with the
  // pass for the two cores, and the pass reads a compacted TSDB, as it would in production.
  const blocksAtStart = (await promSelfMetrics(prometheus.url))['prometheus_tsdb_blocks_loaded'] ?? NaN;
  const settleDeadline = Date.now() + Number(process.env.BENCH_COMPACTION_WAIT_S ?? 420) * 1000;
  for (;;) {
    const m = await promSelfMetrics(prometheus.url);
    if ((m['prometheus_tsdb_blocks_loaded'] ?? 0) <= 1 || Date.now() > settleDeadline) break;
    await sleep(2_000);
  }
  const compactionWaitSeconds = (Date.now() - promStartedAt) / 1000;
  console.error(`Prometheus: ${blocksAtStart} block(s) at start, compaction wait ${compactionWaitSeconds.toFixed(0)} s`);

  // --- 3. one Recommend-mode policy per Deployment --------------------------------------------------
  await until(async () => {
    const crd = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
  const p0 = Date.now();
  await pool(workloads, CONCURRENCY, (w) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ResizePolicy',
        metadata: { name: w.name },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name },
          metrics: { historyWindow: `${HISTORY_DAYS}d`, step: STEP, minimumData: { samples: 100, span: '12h' } },
        },
      },
    }),
  );
  const policiesSeconds = (Date.now() - p0) / 1000;

  // Prometheus's own state when the pass starts (it compacts the backfilled blocks in the background).
  const promBefore = await promSelfMetrics(prometheus.url);
  const apiserverPid = cluster.pids['kube-apiserver']!;
  const etcdPid = cluster.pids['etcd']!;
  const cpuBefore = { apiserver: await cpuSecondsOf(apiserverPid), etcd: await cpuSecondsOf(etcdPid) };

  // --- 4. the pass ----------------------------------------------------------------------------------
  const operatorLog = join(runDir, 'operator.log');
  // The pass end: by default a watch on the policies gives the moment each one first shows a Ready
  // condition (cheap for the apiserver: each status write is sent once). BENCH_PASS_END=list
  // polls the full list every 500 ms instead — at 1,000 policies with status that costs the
  // apiserver seconds of CPU per list, on the same two cores, and slows the pass it measures.
  const readyAtByPolicy = new Map<string, number>();
  let watchError: string | undefined;
  let watch: Informer<PolicyObject> | undefined;
  if (PASS_END === 'watch') {
    watch = makeInformer<PolicyObject>(
      kc,
      `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`,
      () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL }) as Promise<KubernetesListObject<PolicyObject>>,
    );
    const seen = (p: PolicyObject) => {
      const name = p.metadata?.name ?? '';
      if (!readyAtByPolicy.has(name) && p.status?.conditions?.some((c) => c.type === 'Ready')) readyAtByPolicy.set(name, Date.now());
    };
    watch.on('add', seen);
    watch.on('update', seen);
    watch.on('error', (e: unknown) => (watchError = e instanceof Error ? e.message : String(e)));
    await watch.start();
  }
  const benchCpuBefore = process.cpuUsage();
  const machineBefore = await machineCpuSeconds();
  const loadAtStart = loadavg()[0]!;
  const spawnedAt = Date.now();
  operator = startProcess(
    'attune',
    process.execPath,
    [
      ...DEPLOYED_NODE_OPTIONS,
      ...OPERATOR_NODE_ARGS,
      join(REPO_ROOT, 'src', 'main.ts'),
      '--kubeconfig', cluster.kubeconfig,
      '--prometheus-url', prometheus.url,
      '--refresh', '1h',
      '--resync', '1h',
      '--workers', String(WORKERS),
      '--health-addr', '127.0.0.1:0',
      '--log-level', LOG_LEVEL,
    ],
    operatorLog,
  );
  const op = operator;
  let healthAddr = '';
  let readyAt = 0;
  const readyWatch = (async () => {
    while (!healthAddr && !op.hasExited()) {
      const m = /^ready (\S+)$/m.exec(await readFile(operatorLog, 'utf8'));
      if (m) {
        readyAt = Date.now();
        healthAddr = m[1]!;
      } else await sleep(20);
    }
  })();

  let rssPeakSampled = 0;
  let polls = 0;
  let listMs = 0;
  let passEnd = 0;
  for (;;) {
    if (op.hasExited()) throw new Error(`the operator exited during the pass (log: ${operatorLog})`);
    if (watchError) throw new Error(`watching the policies failed: ${watchError}`);
    rssPeakSampled = Math.max(rssPeakSampled, (await rssOf(op.pid)).current);
    if (PASS_END === 'list') {
      const l0 = Date.now();
      const states = await policyStates(custom);
      listMs += Date.now() - l0;
      polls++;
      if (states.length === WORKLOADS && states.every((p) => p.ready !== undefined)) {
        passEnd = Date.now();
        break;
      }
    } else if (readyAtByPolicy.size >= WORKLOADS) {
      passEnd = Math.max(...readyAtByPolicy.values());
      break;
    }
    await sleep(POLL_MS);
  }
  await watch?.stop();
  // The authoritative tally: one list, after the pass.
  const final = await policyStates(custom);
  await readyWatch;
  if (!healthAddr) throw new Error(`the operator never printed its ready line (log: ${operatorLog})`);
  const counters = await operatorCounters(healthAddr);
  const rss = await rssOf(op.pid);
  const operatorCpu = await cpuSecondsOf(op.pid);
  const promAfter = await promSelfMetrics(prometheus.url);
  const cpuAfter = { apiserver: await cpuSecondsOf(apiserverPid), etcd: await cpuSecondsOf(etcdPid) };
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const machineAfter = await machineCpuSeconds();
  const loadAtEnd = loadavg()[0]!;

  // After the pass: does anything change once the queue drains? (counters still for 5 s, ≤ 60 s)
  let settled = counters;
  let stillSince = Date.now();
  const settleUntil = Date.now() + 60_000;
  while (Date.now() - stillSince < 5_000 && Date.now() < settleUntil) {
    await sleep(1_000);
    const c = await operatorCounters(healthAddr);
    if (c['attune_reconciles'] !== settled['attune_reconciles'] || c['attune_statusWrites'] !== settled['attune_statusWrites']) stillSince = Date.now();
    settled = c;
  }
  const afterSettle = await policyStates(custom);
  const publishedAfterSettle = afterSettle.filter((p) => p.ready === 'True' && p.reason === 'RecommendationsPublished').length;

  // One workload's two queries, timed from here, to show what a single query costs.
  const sampleQuery = await timeSampleQueries(prometheus.url, workloads[0]!.name);

  const published = final.filter((p) => p.ready === 'True' && p.reason === 'RecommendationsPublished');
  const others = final.filter((p) => !(p.ready === 'True' && p.reason === 'RecommendationsPublished'));
  const reasons: Record<string, number> = {};
  for (const p of others) reasons[`${p.ready}/${p.reason}`] = (reasons[`${p.ready}/${p.reason}`] ?? 0) + 1;

  const fromSpawn = (passEnd - spawnedAt) / 1000;
  const fromReady = (passEnd - readyAt) / 1000;
  const queries = counters['attune_prometheus_queries_total'] ?? NaN;
  const queriesPerWorkload = queries / WORKLOADS;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    workloads: WORKLOADS,
    podsPerWorkload: PODS,
    containersPerPod: CONTAINERS,
    series: { pods: WORKLOADS * PODS, containers: WORKLOADS * PODS * CONTAINERS },
    history: { days: HISTORY_DAYS, step: STEP },
    operator: { workers: WORKERS, refresh: '1h', queryConcurrency: 8, logLevel: LOG_LEVEL, nodeOptions: DEPLOYED_NODE_OPTIONS, nodeArgs: OPERATOR_NODE_ARGS },
    setup: {
      deploymentsSeconds,
      policiesSeconds,
      backfill: {
        samples: history.samples,
        openMetricsBytes: history.bytes,
        files: history.files,
        seconds: history.seconds,
        generateSeconds: history.generateSeconds,
        importSeconds: history.importSeconds,
        tsdbBytes,
      },
      prometheusBlocksAtStart: blocksAtStart,
      prometheusCompactionWaitSeconds: compactionWaitSeconds,
    },
    pass: {
      secondsFromSpawn: fromSpawn,
      secondsFromReady: fromReady,
      operatorStartSeconds: (readyAt - spawnedAt) / 1000,
      endDetectedBy: PASS_END === 'watch' ? 'watch (time of the last policy\'s first Ready condition)' : `list polled every ${POLL_MS} ms`,
      ...(PASS_END === 'list' ? { statusPolls: polls, statusPollAvgMs: Math.round(listMs / polls) } : {}),
    },
    policies: { total: final.length, ready: published.length, notReady: reasons, examples: others.slice(0, 5) },
    prometheus: {
      queries,
      queryErrors: counters['attune_prometheus_query_errors_total'] ?? NaN,
      queriesPerWorkload,
      bytesReceived: counters['attune_prometheus_bytes_received_total'] ?? NaN,
      bytesPerWorkload: Math.round((counters['attune_prometheus_bytes_received_total'] ?? NaN) / WORKLOADS),
      sampleQueryMs: sampleQuery,
      blocksAtPassStart: promBefore['prometheus_tsdb_blocks_loaded'] ?? NaN,
      blocksAfterPass: promAfter['prometheus_tsdb_blocks_loaded'] ?? NaN,
      compactionsDuringPass: (promAfter['prometheus_tsdb_compactions_total'] ?? NaN) - (promBefore['prometheus_tsdb_compactions_total'] ?? NaN),
      rssMiB: Math.round((promAfter['process_resident_memory_bytes'] ?? NaN) / MiB),
    },
    reconciles: counters['attune_reconciles'] ?? NaN,
    reconcileErrors: counters['attune_reconcileErrors'] ?? NaN,
    statusWrites: counters['attune_statusWrites'] ?? NaN,
    conflicts: counters['attune_conflicts'] ?? NaN,
    operatorRssMiB: { ...rss, peakSampledDuringPass: rssPeakSampled },
    cpuSecondsDuringPass: cpuDuringPass({
      operator: operatorCpu,
      prometheus: (promAfter['process_cpu_seconds_total'] ?? NaN) - (promBefore['process_cpu_seconds_total'] ?? NaN),
      kubeApiserver: cpuAfter.apiserver - cpuBefore.apiserver,
      etcd: cpuAfter.etcd - cpuBefore.etcd,
      benchmark: (benchCpu.user + benchCpu.system) / 1e6,
      machineBusy: machineAfter.busy - machineBefore.busy,
      machineIdle: machineAfter.idle - machineBefore.idle,
    }),
    loadAverage1m: { passStart: round1(loadAtStart), passEnd: round1(loadAtEnd) },
    afterSettling: {
      reconciles: settled['attune_reconciles'] ?? NaN,
      statusWrites: settled['attune_statusWrites'] ?? NaN,
      queries: settled['attune_prometheus_queries_total'] ?? NaN,
      policiesReady: publishedAfterSettle,
    },
    targets: {
      queriesPerWorkload: { target: `≤ ${TARGETS.queriesPerWorkload}`, measured: queriesPerWorkload, met: queriesPerWorkload <= TARGETS.queriesPerWorkload },
      passSeconds: { target: `< ${TARGETS.passSeconds} (from spawn)`, measured: fromSpawn, met: fromSpawn < TARGETS.passSeconds },
      rssMiB: { target: `< ${TARGETS.rssMiB} (peak)`, measured: rss.peak, met: rss.peak < TARGETS.rssMiB },
      allPoliciesPublished: { target: `${WORKLOADS}`, measured: published.length, met: published.length === WORKLOADS },
    },
    notes: [
      'Deployments have replicas: 0 — a recommendation starts from the pod template and usage comes from Prometheus, so no pods (and no scheduler or kubelet) are involved: the benchmark measures the recommendation pass only.',
      `History is backfilled with promtool for ${PODS} pod names per Deployment matching its pod-name pattern; Prometheus scrapes nothing live.`,
      PASS_END === 'watch'
        ? 'Pass end: a watch on the policies records when each first shows a Ready condition; the pass ends at the last one. The tally of reasons comes from one list after the pass.'
        : `Pass end: the policies are listed every ${POLL_MS} ms, so the pass times are up to that much (plus one list) late.`,
    ],
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'recommend-pass.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(dir, 'recommend-pass.md'), markdown(result));
  console.log(JSON.stringify(result, null, 2));
  if (HOLD_S > 0) {
    console.error(`holding ${HOLD_S} s: operator pid ${op.pid}, /metrics at http://${healthAddr}/metrics, Prometheus at ${prometheus.url}`);
    await sleep(HOLD_S * 1000);
  }
  ok = true;
} finally {
  await operator?.stop();
  await prometheus?.stop();
  await cluster.stop();
  if (ok && !process.env.BENCH_KEEP_RUN_DIR) await rm(runDir, { recursive: true, force: true });
  else console.error(`logs kept in ${runDir}`);
  stopTimer();
}

// ---- the workloads ------------------------------------------------------------------------------

interface Workload {
  index: number;
  name: string;
  pods: Array<{ name: string; uid: string }>;
  containers: Array<{ name: string; profile: ContainerProfile }>;
}

/** `n` in Kubernetes's suffix alphabet, `width` characters. */
function safeCode(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = SAFE[n % SAFE.length]! + s;
    n = Math.floor(n / SAFE.length);
  }
  return s;
}

function workloadOf(w: number): Workload {
  const name = `app-${String(w).padStart(4, '0')}`;
  // <deployment>-<pod-template-hash>-<suffix>, as the Deployment controller names them.
  const hash = safeCode(w * 7919 + 12345, 9);
  return {
    index: w,
    name,
    pods: Array.from({ length: PODS }, (_, j) => ({ name: `${name}-${hash}-${safeCode(w * PODS + j, 5)}`, uid: `uid-${name}-${j}` })),
    containers: Array.from({ length: CONTAINERS }, (_, k) => ({
      name: k === 0 ? 'app' : `aux-${k}`,
      // Base usage varies per workload and container: 50m–525m CPU, 64–304Mi memory.
      profile: {
        cpu: { base: 0.05 + ((w * 7 + k * 3) % 20) * 0.025, dailyAmplitude: 0.2, noise: 0.1, growthPerDay: 0 },
        memory: { base: (64 + ((w * 5 + k) % 16) * 16) * MiB, dailyAmplitude: 0.1, noise: 0.05, growthPerDay: 0 },
        readiness: {},
      },
    })),
  };
}

function backfillContainer(pod: { name: string; uid: string }, c: Workload['containers'][number]): BackfillContainer {
  return {
    namespace: NS,
    pod: pod.name,
    uid: pod.uid,
    container: c.name,
    image: 'registry.example/bench:1',
    node: `node-${pod.uid.length % 7}`,
    requests: { cpuCores: 0.25, memoryBytes: 256 * MiB },
    limits: { memoryBytes: 512 * MiB },
    profile: c.profile,
    seed: `${NS}/${pod.name}/${c.name}`,
  };
}

// ---- observation helpers -------------------------------------------------------------------------

type PolicyObject = KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

interface PolicyState {
  name: string;
  ready?: string;
  reason?: string;
  message?: string;
}

async function policyStates(custom: CustomObjectsApi): Promise<PolicyState[]> {
  const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL })) as {
    items: Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }>;
  };
  return list.items.map((p) => {
    const c = p.status?.conditions?.find((x) => x.type === 'Ready');
    return { name: p.metadata.name, ...(c ? { ready: c.status, reason: c.reason ?? '', message: c.message ?? '' } : {}) };
  });
}

/** Counters of a Prometheus text exposition (unlabelled series only). */
function parseCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

async function operatorCounters(addr: string): Promise<Record<string, number>> {
  return parseCounters(await (await fetch(`http://${addr}/metrics`)).text());
}

async function promSelfMetrics(url: string): Promise<Record<string, number>> {
  return parseCounters(await (await fetch(`${url}/metrics`)).text());
}

/** utime + stime of a process, seconds (USER_HZ is 100 on Linux). */
async function cpuSecondsOf(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The CPU and memory query of one workload, as the operator sends them, timed (ms). */
async function timeSampleQueries(url: string, workload: string): Promise<{ cpu: number; memory: number }> {
  const out = { cpu: 0, memory: 0 };
  for (const resource of ['cpu', 'memory'] as const) {
    const query = usageStatsQuery({ namespace: NS, kind: 'Deployment', name: workload, resource, percentile: resource === 'cpu' ? 95 : 99, windowMs: HISTORY_DAYS * 86_400_000, stepMs: STEP_MS! });
    const t = Date.now();
    const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query, time: String(Date.now() / 1000) }) });
    await res.text();
    if (!res.ok) throw new Error(`sample ${resource} query: HTTP ${res.status}`);
    out[resource] = Date.now() - t;
  }
  return out;
}

async function sizeOf(path: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? await sizeOf(p) : (await stat(p)).size;
  }
  return total;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Polls until `cond` holds; the global timeout bounds it. */
async function until(cond: () => Promise<boolean>): Promise<void> {
  while (!(await cond().catch(() => false))) await sleep(250);
}

// ---- the report ----------------------------------------------------------------------------------

type Result = {
  date: string;
  machine: { cpus: number; memoryGiB: number };
  workloads: number;
  podsPerWorkload: number;
  containersPerPod: number;
  series: { pods: number; containers: number };
  history: { days: number; step: string };
  operator: { workers: number; nodeOptions: string[]; nodeArgs: string[] };
  setup: {
    deploymentsSeconds: number;
    policiesSeconds: number;
    backfill: { samples: number; openMetricsBytes: number; files: number; seconds: number; tsdbBytes: number };
    prometheusBlocksAtStart: number;
    prometheusCompactionWaitSeconds: number;
  };
  pass: { secondsFromSpawn: number; secondsFromReady: number; operatorStartSeconds: number; endDetectedBy: string; statusPollAvgMs?: number };
  policies: { total: number; ready: number; notReady: Record<string, number> };
  prometheus: {
    queries: number;
    queryErrors: number;
    queriesPerWorkload: number;
    bytesReceived: number;
    bytesPerWorkload: number;
    sampleQueryMs: { cpu: number; memory: number };
    blocksAtPassStart: number;
    compactionsDuringPass: number;
    rssMiB: number;
  };
  reconciles: number;
  statusWrites: number;
  conflicts: number;
  operatorRssMiB: { current: number; peak: number };
  cpuSecondsDuringPass: { operator: number; prometheus: number; kubeApiserver: number; etcd: number; benchmark: number; machineBusy: number; machineIdle: number; everythingElse: number };
  loadAverage1m: { passStart: number; passEnd: number };
  afterSettling: { reconciles: number; statusWrites: number; queries: number; policiesReady: number };
  targets: Record<string, { target: string; measured: number; met: boolean }>;
};

function markdown(r: Result): string {
  const met = (t: { met: boolean }) => (t.met ? '**met**' : '**not met**');
  const notReady = Object.entries(r.policies.notReady)
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');
  const t = r.targets;
  return `# One recommendation pass at scale

Measured ${r.date} on ${r.machine.cpus} cores / ${r.machine.memoryGiB} GiB, control plane, Prometheus, operator and benchmark on
the same machine (\`make bench\`, bench/recommend-pass.ts). ${r.workloads} Deployments × ${r.podsPerWorkload} pods × ${r.containersPerPod}
containers (${r.series.containers} container series), ${r.history.days} d of history at ${r.history.step}, one Recommend-mode ResizePolicy per
Deployment, operator with \`--workers ${r.operator.workers} --refresh 1h\` (exactly one pass).

The Deployments have \`replicas: 0\`: a recommendation starts from the pod template and the usage comes
from Prometheus, so no pods are needed — the scheduler and kubelet are not part of what is measured.
The history is backfilled with promtool for pod names that match each Deployment's pod-name pattern.

| what | figure |
|---|---|
| pass wall time, from operator spawn | **${r.pass.secondsFromSpawn.toFixed(1)} s** |
| pass wall time, from the operator's \`ready\` line | ${r.pass.secondsFromReady.toFixed(1)} s (start-up ${r.pass.operatorStartSeconds.toFixed(1)} s) |
| policies Ready=True RecommendationsPublished | ${r.policies.ready} / ${r.policies.total}${notReady ? ` (others: ${notReady})` : ''} |
| Prometheus queries issued (errors) | ${r.prometheus.queries} (${r.prometheus.queryErrors}) → **${r.prometheus.queriesPerWorkload.toFixed(2)} per workload** |
| bytes received from Prometheus | ${(r.prometheus.bytesReceived / 2 ** 20).toFixed(1)} MiB (${(r.prometheus.bytesPerWorkload / 1024).toFixed(1)} KiB per workload) |
| one workload's CPU / memory query, timed alone after the pass | ${r.prometheus.sampleQueryMs.cpu} ms / ${r.prometheus.sampleQueryMs.memory} ms |
| reconciles / status writes / conflicts | ${r.reconciles} / ${r.statusWrites} / ${r.conflicts} |
| operator RSS current / peak | ${r.operatorRssMiB.current} / **${r.operatorRssMiB.peak} MiB** |
| CPU seconds during the pass: operator / Prometheus / kube-apiserver / etcd / this benchmark | ${r.cpuSecondsDuringPass.operator} / ${r.cpuSecondsDuringPass.prometheus} / ${r.cpuSecondsDuringPass.kubeApiserver} / ${r.cpuSecondsDuringPass.etcd} / ${r.cpuSecondsDuringPass.benchmark} |
| machine during the pass: CPU seconds busy / idle, of which everything else (other processes, controller-manager, scheduler); 1-min load average at start → end | ${r.cpuSecondsDuringPass.machineBusy} / ${r.cpuSecondsDuringPass.machineIdle}, ${r.cpuSecondsDuringPass.everythingElse}; ${r.loadAverage1m.passStart} → ${r.loadAverage1m.passEnd} |
| operator Node options (deploy/operator.yaml NODE_OPTIONS, then BENCH_OPERATOR_NODE_ARGS) | ${[...r.operator.nodeOptions, ...r.operator.nodeArgs].map((a) => `\`${a}\``).join(' ') || 'none'} |
| once the operator's queue has drained: reconciles / status writes / queries / policies published | ${r.afterSettling.reconciles} / ${r.afterSettling.statusWrites} / ${r.afterSettling.queries} / ${r.afterSettling.policiesReady} |
| Prometheus: TSDB blocks at its start → at pass start (waited ${r.setup.prometheusCompactionWaitSeconds.toFixed(0)} s for compaction), compactions during the pass, RSS after | ${r.setup.prometheusBlocksAtStart} → ${r.prometheus.blocksAtPassStart}, ${r.prometheus.compactionsDuringPass}, ${r.prometheus.rssMiB} MiB |
| setup: Deployments created (${CONCURRENCY} in flight) / policies created | ${r.setup.deploymentsSeconds.toFixed(1)} s / ${r.setup.policiesSeconds.toFixed(1)} s |
| setup: backfill (${(r.setup.backfill.samples / 1e6).toFixed(1)} M samples, ${(r.setup.backfill.openMetricsBytes / 2 ** 30).toFixed(2)} GiB OpenMetrics in ${r.setup.backfill.files} file(s)) | ${r.setup.backfill.seconds.toFixed(0)} s → TSDB ${(r.setup.backfill.tsdbBytes / 2 ** 20).toFixed(0)} MiB |

| target (issue 4) | measured | |
|---|---|---|
| ≤ ${TARGETS.queriesPerWorkload} Prometheus queries per workload per pass | ${t.queriesPerWorkload!.measured.toFixed(2)} | ${met(t.queriesPerWorkload!)} |
| pass under ${TARGETS.passSeconds} s (from spawn) | ${t.passSeconds!.measured.toFixed(1)} s | ${met(t.passSeconds!)} |
| operator RSS under ${TARGETS.rssMiB} MiB (peak) | ${t.rssMiB!.measured} MiB | ${met(t.rssMiB!)} |
| every policy publishes recommendations | ${t.allPoliciesPublished!.measured} / ${r.workloads} | ${met(t.allPoliciesPublished!)} |

Pass end detected by: ${r.pass.endDetectedBy}${r.pass.statusPollAvgMs !== undefined ? ` (one list took ${r.pass.statusPollAvgMs} ms on average)` : ''}.
`;
}

/** CPU seconds, rounded; `everythingElse` is what the machine spent beyond the processes measured. */
function cpuDuringPass(c: { operator: number; prometheus: number; kubeApiserver: number; etcd: number; benchmark: number; machineBusy: number; machineIdle: number }): Result['cpuSecondsDuringPass'] {
  const ours = c.operator + c.prometheus + c.kubeApiserver + c.etcd + c.benchmark;
  return {
    operator: round1(c.operator),
    prometheus: round1(c.prometheus),
    kubeApiserver: round1(c.kubeApiserver),
    etcd: round1(c.etcd),
    benchmark: round1(c.benchmark),
    machineBusy: round1(c.machineBusy),
    machineIdle: round1(c.machineIdle),
    everythingElse: round1(c.machineBusy - ours),
  };
}
