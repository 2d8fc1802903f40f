// Benchmark (issue 5 §10): canary → promotion → every pod of a 1,000-pod workload resized, and the
// API requests that costs per resized pod.
//
// Setup: one Deployment of BENCH_REPLICAS pods (default 1,000; requests 100m / 128Mi, memory limit
// 256Mi; usage ≈ 25m / 48Mi, so the recommendation lowers both) on BENCH_NODES simulated nodes
// (default 50, 16 CPU / 64Gi each), a day of history; the operator as a separate process
// (`node src/main.ts`, default flags — at most 50 resizes per reconcile — as its ServiceAccount); then
// one Canary ResizePolicy: percentage BENCH_PERCENTAGE (default 2 → 20 canary pods), observation
// BENCH_OBSERVATION (default 20s), autoPromote true.
//
// Timeline, from this benchmark's own watches (pods: spec resources changed = "resized in spec";
// status resources equal to the spec with the generation observed and no resize condition =
// "applied by the kubelet"; the policy: status.canary.phase):
//   policy created → first canary pod resized (wave start) → every canary pod applied →
//   FullRollout (promotion) → every pod resized in spec → every pod applied.
// Also: the operator's reconcile passes from its log (how many pods each resized, when), its RSS
// (peak) and CPU, its /metrics counters; the apiserver's own request counters
// (apiserver_request_total by verb/resource, and flow control's per-FlowSchema count: the operator
// is the only client in FlowSchema `service-accounts`) between just before the policy was created
// and the end; the events in the namespace by reporting component. Requests per resized pod are
// computed from both.
// Figures to bench/results/canary-promotion.{json,md}. Bounded: aborts after BENCH_TIMEOUT_S
// (default 900); everything started stops at the end, also on failure.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeInformer, type CoreV1Event } from '@kubernetes/client-node';
import { REPO_ROOT } from '../hack/cluster/binaries.ts';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import { parseDuration } from '../src/core/duration.ts';
import {
  apiserverDelta,
  apiserverMetrics,
  applied,
  cpuSecondsOf,
  codeState,
  deploymentYaml,
  isReady,
  logLines,
  machine,
  machineLoad,
  policyApi,
  round1,
  sameResources,
  sleep,
  specOf,
  settleWorkload,
  startBenchEnv,
  startOperator,
  until,
  watchNodeHealth,
  watchPods,
  type BenchEnv,
  type OperatorProcess,
  type PolicyObject,
  type Resources,
} from './canary-env.ts';
import { envInt as int, quantiles, rssOf, timeout } from './lib.ts';

const REPLICAS = int('BENCH_REPLICAS', 1_000);
const NODES = int('BENCH_NODES', 50);
const PERCENTAGE = int('BENCH_PERCENTAGE', 2);
const OBSERVATION = process.env.BENCH_OBSERVATION ?? '20s';
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 900);
const NS = 'promote';
const NAME = 'fleet';
const ORIGINAL: Resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } };
const ACTUATION_MS = 500;
const MAX_PER_PASS = 50;
const OBSERVATION_MS = parseDuration(OBSERVATION);
if (OBSERVATION_MS === undefined) throw new Error(`BENCH_OBSERVATION: not a duration: ${OBSERVATION}`);


const stopTimer = timeout(TIMEOUT_S * 1000, 'canary-promotion benchmark');
const manifest =
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n` +
  deploymentYaml({
    namespace: NS,
    name: NAME,
    replicas: REPLICAS,
    requests: ORIGINAL.requests!,
    limits: ORIGINAL.limits!,
    profile: 'containers:\n  app:\n    cpu: { base: 25m, noise: 0.05 }\n    memory: { base: 48Mi, noise: 0.02 }',
  });

const code = await codeState(); // the operator code this run measures
const setupStart = Date.now();
const b: BenchEnv = await startBenchEnv({
  prefix: 'promotion',
  manifest,
  nodes: NODES,
  kubelet: { cpu: '16', memory: '64Gi', maxPods: 110 },
  // A day at 2-minute resolution is enough for the 5m-step queries and keeps the backfill short.
  historyStepMs: 120_000,
  scrapeIntervalS: 15,
});
let op: OperatorProcess | undefined;
let ok = false;
try {
  const setupSeconds = (Date.now() - setupStart) / 1000;
  const settled = await settleWorkload(b, NS, REPLICAS);
  const nodeHealth = await watchNodeHealth(b.kc, b.core);
  const specAt = new Map<string, number>();
  const appliedAt = new Map<string, number>();
  const nodeOf = new Map<string, string>();
  const watch = await watchPods(b.kc, b.core, NS, (p, at) => {
    const name = p.metadata!.name!;
    if (p.spec?.nodeName) nodeOf.set(name, p.spec.nodeName);
    if (sameResources(specOf(p), ORIGINAL)) return;
    if (!specAt.has(name)) specAt.set(name, at);
    if (!appliedAt.has(name) && applied(p)) appliedAt.set(name, at);
  });
  const running = () => [...watch.pods.values()].filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
  await until(`${REPLICAS} running pods in the watch`, 60_000, () => running().length >= REPLICAS);
  const notReadyAtStart = () => running().filter((p) => !isReady(p)).length;

  // The policy's phase as it changes.
  const phaseAt: Record<string, number> = {};
  let canaryPods: string[] = [];
  let canaryStatus: PolicyObject['status'] | undefined;
  const policyInformer = makeInformer<PolicyObject>(b.kc, `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`, () =>
    b.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL }) as never,
  );
  const onPolicy = (p: PolicyObject) => {
    const phase = p.status?.canary?.phase;
    if (phase && phaseAt[phase] === undefined) phaseAt[phase] = Date.now();
    if (phase === 'CanaryInProgress' && p.status?.canary?.pods?.length) {
      canaryPods = p.status.canary.pods;
      canaryStatus = p.status;
    }
  };
  policyInformer.on('add', onPolicy);
  policyInformer.on('update', onPolicy);
  await policyInformer.start();

  op = await startOperator(['--kubeconfig', b.saKubeconfig, '--prometheus-url', b.env.prometheus.url], join(b.runDir, 'operator.log'));
  const operator = op;
  const pid = operator.proc.pid;
  let rssPeakSampled = 0;
  const rssSampler = setInterval(() => void rssOf(pid).then((r) => (rssPeakSampled = Math.max(rssPeakSampled, r.current)), () => undefined), 250);

  // --- the run -----------------------------------------------------------------------------------------
  await sleep(2_000); // let the operator's start-up lists settle before the "before" snapshot
  const apiBefore = await apiserverMetrics(b.env.cluster.kubeconfig);
  const countersBefore = await operator.counters();
  const cpuBefore = await cpuSecondsOf(pid);
  const apiCpuBefore = await cpuSecondsOf(b.env.cluster.pids['kube-apiserver']!);
  const podsNotReadyAtPolicy = notReadyAtStart();
  const t0 = Date.now();
  const rsp = policyApi(b.custom, NS);
  await rsp.create(NAME, {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
    metrics: { historyWindow: '1d', step: '5m', minimumData: { samples: 50, span: '12h' } },
    updateStrategy: { type: 'Canary', cooldown: '1h', autoRevert: true, canary: { percentage: PERCENTAGE, observationPeriod: OBSERVATION, autoPromote: true } },
  });
  let cpuAtPromotion = NaN;
  await until('the promotion (FullRollout)', 300_000, () => phaseAt['FullRollout'] !== undefined, 50);
  cpuAtPromotion = await cpuSecondsOf(pid);
  await until(`all ${REPLICAS} pods resized in spec`, 400_000, () => specAt.size >= REPLICAS, 100);
  await until(`all ${REPLICAS} pods applied by the kubelet`, 300_000, () => appliedAt.size >= REPLICAS, 100);
  const cpuAtEnd = await cpuSecondsOf(pid);
  const apiCpuAtEnd = await cpuSecondsOf(b.env.cluster.pids['kube-apiserver']!);
  // Let the operator finish what follows (status writes, events), then take the counters: still for 5 s, at most 60 s.
  let counters = await operator.counters();
  let stillSince = Date.now();
  const settleUntil = Date.now() + 60_000;
  while (Date.now() - stillSince < 5_000 && Date.now() < settleUntil) {
    await sleep(1_000);
    const c = await operator.counters();
    if (['attune_podRequests', 'attune_statusWrites', 'attune_eventsRecorded'].some((k) => c[k] !== counters[k])) stillSince = Date.now();
    counters = c;
  }
  const apiAfter = await apiserverMetrics(b.env.cluster.kubeconfig);
  clearInterval(rssSampler);
  const rss = await rssOf(pid);
  const cpuTotal = await cpuSecondsOf(pid);
  await policyInformer.stop();
  await watch.stop();
  await nodeHealth.stop();

  // --- events in the namespace since the policy was created, by reporting component -----------------------
  const evs: CoreV1Event[] = [];
  let cont: string | undefined;
  do {
    const page = await b.core.listNamespacedEvent({ namespace: NS, limit: 500, ...(cont ? { _continue: cont } : {}) });
    evs.push(...page.items);
    cont = page.metadata?._continue;
  } while (cont);
  const eventsByComponent: Record<string, number> = {};
  for (const e of evs) {
    const when = Date.parse(String(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0));
    if (!(when >= Math.floor(t0 / 1000) * 1000)) continue;
    const k = `${e.reportingComponent || e.source?.component || '?'} ${e.reason}`;
    eventsByComponent[k] = (eventsByComponent[k] ?? 0) + 1;
  }
  const eventsBy = (component: string) => Object.entries(eventsByComponent).filter(([k]) => k.startsWith(`${component} `)).reduce((sum, [, n]) => sum + n, 0);

  // --- the timeline ------------------------------------------------------------------------------------------
  const canarySet = new Set(canaryPods);
  const canarySpec = canaryPods.map((n) => specAt.get(n)).filter((x): x is number => x !== undefined);
  const canaryApplied = canaryPods.map((n) => appliedAt.get(n)).filter((x): x is number => x !== undefined);
  const rolloutSpec = [...specAt].filter(([n]) => !canarySet.has(n)).map(([, t]) => t);
  const waveStart = Math.min(...canarySpec);
  const promotedAt = phaseAt['FullRollout']!;
  const allSpec = Math.max(...specAt.values());
  const allApplied = Math.max(...appliedAt.values());
  const s = (a: number, z: number) => round1((z - a) / 1000);
  const lines = logLines(await operator.log());
  // Reconcile passes that resized pods: the summary line of each (fields resized / reverted / skipped).
  // Its `resize requested` lines (one per pod, after the pods/resize answer) date each pass's writes.
  const passes = lines
    .filter((l) => typeof l.resized === 'number' && l.resized > 0 && l.time >= t0)
    .map((l) => {
      const writes = lines.filter((x) => x.msg === 'resize requested' && x.reconcile === l.reconcile).map((x) => x.time);
      return { t: l.time, resized: l.resized as number, firstWrite: Math.min(...writes), lastWrite: Math.max(...writes) };
    });
  const rolloutPasses = passes.filter((p) => p.t >= promotedAt - 1_000);
  const gaps = rolloutPasses.slice(1).map((p, i) => p.t - rolloutPasses[i]!.t);
  /** First pod write of a pass ← the previous pass's last pod write: its events, its status write, the next reconcile's observe and decide. */
  const between = rolloutPasses.slice(1).map((p, i) => p.firstWrite - rolloutPasses[i]!.lastWrite);
  const writeSpans = rolloutPasses.map((p) => p.lastWrite - p.firstWrite);
  const podsPerNode = new Map<string, number>();
  for (const n of nodeOf.values()) podsPerNode.set(n, (podsPerNode.get(n) ?? 0) + 1);
  const maxPerNode = Math.max(...podsPerNode.values());
  const applyLag = [...appliedAt].map(([n, t]) => t - (specAt.get(n) ?? t));

  // --- API requests -----------------------------------------------------------------------------------------
  const d = (k: string) => (counters[k] ?? 0) - (countersBefore[k] ?? 0);
  const resized = d('attune_resizesRequested');
  const opCounts = { podRequests: d('attune_podRequests'), eventsRecorded: d('attune_eventsRecorded'), statusWrites: d('attune_statusWrites'), reconciles: d('attune_reconciles'), resizesRequested: resized, revertsRequested: d('attune_revertsRequested'), podWriteFailures: d('attune_podWriteFailures'), conflicts: d('attune_conflicts') };
  const opWrites = opCounts.podRequests + opCounts.eventsRecorded + opCounts.statusWrites;
  const api = apiserverDelta(apiBefore, apiAfter);
  const r = (k: string) => api.requests[k] ?? 0;
  // PATCH pods (no subresource), pods/resize and resizepolicies/status come from the operator only here
  // (the kubelet writes pods/status); its events are the namespace's events reported by `attune`.
  const apiPods = { recordPatches: r('PATCH pods'), resizePatches: r('PATCH pods/resize'), statusPatches: r('PATCH attune.dev/resizepolicies/status'), eventsCreatedAll: r('POST events'), eventsByAttune: eventsBy('attune'), eventsByKubelet: eventsBy('kubelet') };
  const apiOperatorWrites = apiPods.recordPatches + apiPods.resizePatches + apiPods.statusPatches + apiPods.eventsByAttune;
  const saRequests = api.byFlowSchema['service-accounts'] ?? NaN;
  const podsInSpec = specAt.size;

  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    load: await machineLoad(),
    code,
    setup: {
      replicas: REPLICAS,
      nodes: NODES,
      podsPerNodeMax: maxPerNode,
      canaryPercentage: PERCENTAGE,
      observationPeriod: OBSERVATION,
      operator: `node src/main.ts, default flags (workers 4, --max-resizes-per-pass ${MAX_PER_PASS}), as the attune ServiceAccount`,
      kubelet: `resize actuation ${ACTUATION_MS} ms, one pod at a time per node`,
      environmentSeconds: round1(setupSeconds),
      settle: settled,
      podsNotReadyAtPolicyCreation: podsNotReadyAtPolicy,
      nodesUnhealthyDuringRun: nodeHealth.unhealthy,
    },
    timelineSeconds: {
      policyCreatedToWaveStart: s(t0, waveStart),
      canaryPods: canaryPods.length,
      canaryPodsExpected: Math.max(1, Math.ceil((PERCENTAGE * REPLICAS) / 100)),
      waveStartToCanarySpec: s(waveStart, Math.max(...canarySpec)),
      waveStartToCanaryApplied: s(waveStart, Math.max(...canaryApplied)),
      waveStartToPromotion: s(waveStart, promotedAt),
      promotionToFirstRolloutResize: s(promotedAt, Math.min(...rolloutSpec)),
      promotionToAllSpec: s(promotedAt, allSpec),
      promotionToAllApplied: s(promotedAt, allApplied),
      waveStartToAllSpec: s(waveStart, allSpec),
      waveStartToAllApplied: s(waveStart, allApplied),
      policyCreatedToAllApplied: s(t0, allApplied),
      // status.canary.startTime is the `now` of the decision that started the cycle (whole seconds);
      // the canary pods' baseline (`attune.dev/baseline` at) and the observation end derive from it.
      statusStartTime: canaryStatus?.canary?.startTime ?? null,
      observationEndInStatus: canaryStatus?.canary?.observationEnd ?? null,
      statusStartTimeToWaveStart: canaryStatus?.canary?.startTime ? s(Date.parse(canaryStatus.canary.startTime), waveStart) : null,
      waveStartToObservationEnd: canaryStatus?.canary?.observationEnd ? s(waveStart, Date.parse(canaryStatus.canary.observationEnd)) : null,
    },
    at: { policyCreated: iso(t0), waveStart: iso(waveStart), promoted: iso(promotedAt), allSpec: iso(allSpec), allApplied: iso(allApplied) },
    rollout: {
      podsResizedInSpec: podsInSpec,
      podsApplied: appliedAt.size,
      specResizesPerSecond: round1(rolloutSpec.length / ((allSpec - promotedAt) / 1000)),
      appliedPerSecond: round1((REPLICAS - canaryPods.length) / ((allApplied - promotedAt) / 1000)),
      passesAfterPromotion: rolloutPasses.length,
      podsPerPass: rolloutPasses.map((p) => p.resized),
      msBetweenPasses: gaps.length ? quantiles(gaps) : null,
      passWritesMs: quantiles(writeSpans),
      passLastWriteToNextFirstWriteMs: between.length ? quantiles(between) : null,
      specToAppliedMs: quantiles(applyLag),
      kubeletLowerBoundSeconds: (maxPerNode * ACTUATION_MS) / 1000,
      appliedTailAfterLastSpecSeconds: s(allSpec, allApplied),
    },
    operator: {
      rssMiB: { ...rss, peakSampled: rssPeakSampled },
      cpuSeconds: { total: cpuTotal, canaryToPromotion: round1(cpuAtPromotion - cpuBefore), promotionToAllApplied: round1(cpuAtEnd - cpuAtPromotion) },
      counters: opCounts,
      countersEnd: counters,
    },
    apiserver: {
      cpuSecondsPolicyToAllApplied: round1(apiCpuAtEnd - apiCpuBefore),
      requestsDuringRun: Object.fromEntries(Object.entries(api.requests).slice(0, 25)),
      byFlowSchema: api.byFlowSchema,
      operatorWrites: apiPods,
      eventsByComponentAndReason: eventsByComponent,
    },
    requestsPerResizedPod: {
      fromOperatorCounters: round2(opWrites / resized),
      fromOperatorCountersBreakdown: { podWrites: round2(opCounts.podRequests / resized), events: round2(opCounts.eventsRecorded / resized), statusWrites: round2(opCounts.statusWrites / resized) },
      fromApiserverWrites: round2(apiOperatorWrites / podsInSpec),
      fromApiserverWritesBreakdown: { recordPatches: round2(apiPods.recordPatches / podsInSpec), resizePatches: round2(apiPods.resizePatches / podsInSpec), events: round2(apiPods.eventsByAttune / podsInSpec), statusPatches: round2(apiPods.statusPatches / podsInSpec) },
      fromFlowControlAllVerbs: round2(saRequests / podsInSpec),
    },
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'canary-promotion.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(dir, 'canary-promotion.md'), markdown(result));
  console.log(JSON.stringify(result, null, 2));
  ok = true;
} finally {
  await op?.proc.stop();
  await b.stop(ok);
  stopTimer();
}

function codeLine(c: { commit: string; srcChanges: string[] }): string {
  return `${c.commit}${c.srcChanges.length ? ` + uncommitted changes in ${c.srcChanges.map((l) => l.slice(3)).join(', ')}` : ''}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

type Q = { p50: number; p90: number; p99: number; max: number };
function markdown(r: {
  date: string;
  code: { commit: string; srcChanges: string[] };
  machine: { cpus: number; memoryGiB: number };
  load: { loadavg: number[]; uptime: string };
  setup: {
    replicas: number;
    nodes: number;
    podsPerNodeMax: number;
    canaryPercentage: number;
    observationPeriod: string;
    environmentSeconds: number;
    settle: { seconds: number; nodesRepaired: Array<{ node: string }>; podsReplaced: string[] };
    podsNotReadyAtPolicyCreation: number;
    nodesUnhealthyDuringRun: Array<{ node: string; at: string }>;
  };
  timelineSeconds: Record<string, number | string | null>;
  rollout: {
    podsResizedInSpec: number;
    podsApplied: number;
    specResizesPerSecond: number;
    appliedPerSecond: number;
    passesAfterPromotion: number;
    podsPerPass: number[];
    msBetweenPasses: Q | null;
    passWritesMs: Q;
    passLastWriteToNextFirstWriteMs: Q | null;
    specToAppliedMs: Q;
    kubeletLowerBoundSeconds: number;
    appliedTailAfterLastSpecSeconds: number;
  };
  operator: { rssMiB: { current: number; peak: number; peakSampled: number }; cpuSeconds: { total: number; canaryToPromotion: number; promotionToAllApplied: number }; counters: Record<string, number> };
  apiserver: { cpuSecondsPolicyToAllApplied: number; byFlowSchema: Record<string, number>; operatorWrites: Record<string, number>; eventsByComponentAndReason: Record<string, number> };
  requestsPerResizedPod: { fromOperatorCounters: number; fromOperatorCountersBreakdown: Record<string, number>; fromApiserverWrites: number; fromApiserverWritesBreakdown: Record<string, number>; fromFlowControlAllVerbs: number };
}): string {
  const t = r.timelineSeconds;
  const c = r.operator.counters;
  const w = r.apiserver.operatorWrites;
  const q = (x: Q | null) => (x ? `${x.p50} / ${x.p90} / ${x.p99} / ${x.max}` : 'n/a');
  const rp = r.requestsPerResizedPod;
  return `# Canary promotion of a ${r.setup.replicas}-pod workload

Measured ${r.date} on ${r.machine.cpus} cores / ${r.machine.memoryGiB} GiB (\`make bench\`, bench/canary-promotion.ts): control plane, simulated
kubelet (in the benchmark's process), Prometheus, the operator (\`node src/main.ts\`, its own process, as its ServiceAccount,
default flags: 4 workers, at most 50 resizes per reconcile) and the benchmark on the same machine. **Machine load at the end:
${r.load.uptime || r.load.loadavg.join(', ')}** (other engineers' tests were running). Operator code: ${codeLine(r.code)}.

One Deployment of ${r.setup.replicas} pods (requests 100m / 128Mi, memory limit 256Mi; usage ≈ 25m / 48Mi) on ${r.setup.nodes} simulated
nodes (at most ${r.setup.podsPerNodeMax} pods on one), one Canary ResizePolicy: percentage ${r.setup.canaryPercentage}, observation ${r.setup.observationPeriod}, autoPromote.
The kubelet actuates one resize at a time per node, 500 ms each. Times come from the benchmark's own watches of the pods
(spec changed; status resources = spec with the generation observed) and of the policy (status.canary.phase).

| step | seconds |
|---|---|
| policy created → first canary pod resized (wave start) | ${t.policyCreatedToWaveStart} |
| wave start → all ${t.canaryPods} canary pods (expected ${t.canaryPodsExpected}) resized in spec / applied by the kubelet | ${t.waveStartToCanarySpec} / ${t.waveStartToCanaryApplied} |
| wave start → promotion (FullRollout; observation ${r.setup.observationPeriod}) | **${t.waveStartToPromotion}** |
| (cycle start in status.canary.startTime → wave start; wave start → status.canary.observationEnd) | (${t.statusStartTimeToWaveStart}; ${t.waveStartToObservationEnd}) |
| promotion → first rollout resize | ${t.promotionToFirstRolloutResize} |
| promotion → all ${r.setup.replicas} pods resized in spec | **${t.promotionToAllSpec}** |
| promotion → all ${r.setup.replicas} pods applied by the kubelet | **${t.promotionToAllApplied}** |
| wave start → all resized in spec / all applied | ${t.waveStartToAllSpec} / **${t.waveStartToAllApplied}** |

| rollout | figure |
|---|---|
| pods resized in spec / applied | ${r.rollout.podsResizedInSpec} / ${r.rollout.podsApplied} |
| reconcile passes that resized pods, after the promotion | ${r.rollout.passesAfterPromotion} (pods per pass: ${compact(r.rollout.podsPerPass)}) |
| time between those passes p50 / p90 / p99 / max | ${q(r.rollout.msBetweenPasses)} ms |
| within a pass: first → last pod write (${MAX_PER_PASS} × record + resize, 10 in flight) | ${q(r.rollout.passWritesMs)} ms |
| last pod write of a pass → first of the next (events, status write, next observe + decide) | ${q(r.rollout.passLastWriteToNextFirstWriteMs)} ms |
| resizes sent (spec) per second after the promotion / applied per second | ${r.rollout.specResizesPerSecond} / ${r.rollout.appliedPerSecond} |
| one pod: resized in spec → applied, p50 / p90 / p99 / max | ${q(r.rollout.specToAppliedMs)} ms |
| kubelet lower bound (most pods on one node × 500 ms) / applied tail after the last spec resize | ${r.rollout.kubeletLowerBoundSeconds} s / ${r.rollout.appliedTailAfterLastSpecSeconds} s |
| operator RSS peak (VmHWM) / sampled max / at the end | **${r.operator.rssMiB.peak} MiB** / ${r.operator.rssMiB.peakSampled} / ${r.operator.rssMiB.current} MiB |
| operator CPU seconds: policy → promotion / promotion → all applied / whole process | ${r.operator.cpuSeconds.canaryToPromotion} / ${r.operator.cpuSeconds.promotionToAllApplied} / ${r.operator.cpuSeconds.total} |
| kube-apiserver CPU seconds, policy → all applied | ${r.apiserver.cpuSecondsPolicyToAllApplied} |
| operator counters (this run): reconciles / resizes / reverts / pod requests / events / status writes / conflicts | ${c.reconciles} / ${c.resizesRequested} / ${c.revertsRequested} / ${c.podRequests} / ${c.eventsRecorded} / ${c.statusWrites} / ${c.conflicts} |

## API requests per resized pod

| source | per resized pod | breakdown |
|---|---|---|
| operator counters: (pod requests + events + status writes) / resizes requested | **${rp.fromOperatorCounters}** | pod writes ${rp.fromOperatorCountersBreakdown.podWrites}, events ${rp.fromOperatorCountersBreakdown.events}, status writes ${rp.fromOperatorCountersBreakdown.statusWrites} |
| apiserver_request_total: PATCH pods + PATCH pods/resize + PATCH resizepolicies/status, + the events reported by \`attune\`, / pods resized | **${rp.fromApiserverWrites}** | record ${rp.fromApiserverWritesBreakdown.recordPatches}, resize ${rp.fromApiserverWritesBreakdown.resizePatches}, events ${rp.fromApiserverWritesBreakdown.events}, status ${rp.fromApiserverWritesBreakdown.statusPatches} |
| flow control: every request in FlowSchema \`service-accounts\` (only the operator), all verbs incl. reads, / pods resized | ${rp.fromFlowControlAllVerbs} | |

Apiserver counts during the run: PATCH pods ${w.recordPatches}, PATCH pods/resize ${w.resizePatches}, PATCH resizepolicies/status
${w.statusPatches}, POST events ${w.eventsCreatedAll} (attune's ${w.eventsByAttune}, the kubelet's ${w.eventsByKubelet}). Requests by FlowSchema:
${Object.entries(r.apiserver.byFlowSchema).map(([k, v]) => `${k} ${v}`).join(', ')}. Events by reporting component and reason:
${Object.entries(r.apiserver.eventsByComponentAndReason).map(([k, v]) => `${k} ${v}`).join(', ')}.

Environment health: environment start ${r.setup.environmentSeconds} s; then ${r.setup.settle.seconds} s until every node was Ready and every pod
Ready (nodes marked Unknown by the node-lifecycle controller during the start, Ready re-posted by the benchmark:
${r.setup.settle.nodesRepaired.length}; NotReady pods replaced: ${r.setup.settle.podsReplaced.length} — see bench/canary-env.ts \`settleWorkload\`); pods NotReady when the policy
was created: ${r.setup.podsNotReadyAtPolicyCreation}; node Ready/taint changes during the run: ${r.setup.nodesUnhealthyDuringRun.length}.
`;
}

/** 50, 50, 50, 12 → "50 ×3, 12". */
function compact(xs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    out.push(j - i > 1 ? `${xs[i]} ×${j - i}` : String(xs[i]));
    i = j;
  }
  return out.join(', ');
}
