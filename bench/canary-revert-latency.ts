// Benchmark (issue 5 §10): revert latency — from the simulated kubelet publishing an OOMKilled
// status of a canary pod to the apiserver accepting the operator's revert of that pod.
//
// Setup: BENCH_WORKLOADS Deployments (default 10) × BENCH_REPLICAS pods (default 6), usage ≈ 250m /
// 256Mi against requests of 1 CPU / 1Gi (limits 2 / 2Gi), a day of history; one Canary
// ResizePolicy per Deployment (percentage BENCH_PERCENTAGE, default 50 → 3 canary pods each;
// observation 30m and autoPromote false so nothing else happens; autoRevert true). The
// recommendation lowers memory, so an OOMKill of a canary pod is a violation that is reverted.
// The operator runs as a separate process (`node src/main.ts`, defaults, as its ServiceAccount).
//
// One cycle: wait until every policy's canary pods are resized AND applied by the kubelet; then
// OOM-kill each canary pod once through `sim.attune.dev/oom` (one injection every
// BENCH_INJECT_GAP_MS, default 250 ms, round-robin over the policies, so the reverts are measured
// one by one rather than as a burst); wait for every revert; wait until the reverted pods run
// again (Ready, revert applied); then a spec edit of every policy (canary.observationPeriod) starts
// the next cycle, which resizes the same pods again. BENCH_CYCLES cycles (default 3 → 90 samples).
//
// Per injected OOM:
//   start  = `kubelet.onStatusPublished`: the response to the kubelet's status write carrying
//            lastState.terminated.reason OOMKilled with the new restartCount (its time and
//            resourceVersion);
//   end    = the first event of this benchmark's own pod watch whose spec.containers resources equal
//            the recorded originals (`attune.dev/original-resources`) — its arrival time and
//            resourceVersion. Cross-checks: that resourceVersion is after the OOM status's, the watch
//            saw the OOM status before, and the operator's own `reverted` log line (written when
//            the apiserver answered its pods/resize patch) comes after the OOM status.
// Figures to bench/results/canary-revert-latency.{json,md}; target p99 < 2 s. Bounded: aborts after
// BENCH_TIMEOUT_S (default 600); everything started stops at the end, also on failure.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { REPO_ROOT } from '../hack/cluster/binaries.ts';
import { Annotation } from '../src/api/constants.ts';
import { decodeRecord } from '../src/core/pod-record.ts';
import {
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
  settleWorkload,
  sleep,
  specOf,
  startBenchEnv,
  startOperator,
  until,
  watchNodeHealth,
  watchPods,
  type BenchEnv,
  type OperatorProcess,
  type Resources,
} from './canary-env.ts';
import { envInt as int, quantiles, rssOf, timeout } from './lib.ts';

const WORKLOADS = int('BENCH_WORKLOADS', 10);
const REPLICAS = int('BENCH_REPLICAS', 6);
const PERCENTAGE = int('BENCH_PERCENTAGE', 50);
const CYCLES = int('BENCH_CYCLES', 3);
const GAP_MS = int('BENCH_INJECT_GAP_MS', 250);
const NODES = int('BENCH_NODES', 6);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
const NS = 'revert';
const TARGET_P99_MS = 2_000;
const PER_WORKLOAD = Math.max(1, Math.ceil((PERCENTAGE * REPLICAS) / 100));
const ORIGINAL: Resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);


interface Sample {
  cycle: number;
  pod: string;
  uid: string;
  expectRestarts: number;
  originals: Resources;
  injectedAt: number;
  /** The kubelet's OOMKilled status write, accepted (onStatusPublished). */
  oomPublishedAt?: number;
  oomRV?: string;
  /** The same status seen by this benchmark's watch. */
  oomSeenAt?: number;
  /** The revert: first watch event with the originals in spec. */
  revertSeenAt?: number;
  revertRV?: string;
  revertGeneration?: number;
  /** The operator's `reverted` log line (after the apiserver answered the pods/resize patch). */
  operatorLoggedAt?: number;
}

const stopTimer = timeout(TIMEOUT_S * 1000, 'canary-revert-latency benchmark');
const manifest = [`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`]
  .concat(
    Array.from({ length: WORKLOADS }, (_, w) =>
      deploymentYaml({
        namespace: NS,
        name: `app-${w}`,
        replicas: REPLICAS,
        requests: ORIGINAL.requests!,
        limits: ORIGINAL.limits!,
        profile: 'containers:\n  app:\n    cpu: { base: 250m, noise: 0.05 }\n    memory: { base: 256Mi, noise: 0.02 }',
      }),
    ),
  )
  .join('');

const code = await codeState(); // the operator code this run measures
const setupStart = Date.now();
const b: BenchEnv = await startBenchEnv({ prefix: 'revert', manifest, nodes: NODES, kubelet: { cpu: '16', memory: '32Gi' } });
let op: OperatorProcess | undefined;
let ok = false;
const samples: Sample[] = [];
try {
  const setupSeconds = (Date.now() - setupStart) / 1000;
  const settled = await settleWorkload(b, NS, WORKLOADS * REPLICAS);
  const nodeHealth = await watchNodeHealth(b.kc, b.core);
  const byUid = new Map<string, Sample>();
  const isOom = (p: V1Pod, s: Sample) => {
    const st = p.status?.containerStatuses?.find((c) => c.name === 'app');
    return st?.lastState?.terminated?.reason === 'OOMKilled' && (st.restartCount ?? 0) >= s.expectRestarts;
  };
  // Start: the kubelet's accepted status write carrying the OOM kill.
  const unsubscribe = b.env.kubelet.onStatusPublished((w) => {
    const s = byUid.get(w.uid);
    if (s && s.oomPublishedAt === undefined && isOom(w.pod, s)) {
      s.oomPublishedAt = w.atMs;
      s.oomRV = w.pod.metadata?.resourceVersion ?? '';
    }
  });
  // End: the first pod event with the originals back in spec.
  const watch = await watchPods(b.kc, b.core, NS, (p, at) => {
    const s = byUid.get(p.metadata?.uid ?? '');
    if (!s) return;
    if (s.oomSeenAt === undefined && isOom(p, s)) s.oomSeenAt = at;
    if (s.revertSeenAt === undefined && sameResources(specOf(p), s.originals)) {
      s.revertSeenAt = at;
      s.revertRV = p.metadata?.resourceVersion ?? '';
      s.revertGeneration = p.metadata?.generation ?? 0;
    }
  });

  const rsp = policyApi(b.custom, NS);
  const names = Array.from({ length: WORKLOADS }, (_, w) => `app-${w}`);
  const spec = (name: string, cycle: number) => ({
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    metrics: { historyWindow: '1d', step: '5m', minimumData: { samples: 50, span: '12h' } },
    updateStrategy: {
      type: 'Canary',
      cooldown: '1h',
      autoRevert: true,
      // A spec edit per cycle: a new generation starts a new cycle at once.
      canary: { percentage: PERCENTAGE, observationPeriod: `${30 + cycle}m`, autoPromote: false },
    },
  });
  op = await startOperator(['--kubeconfig', b.saKubeconfig, '--prometheus-url', b.env.prometheus.url], join(b.runDir, 'operator.log'));
  const operator = op;
  for (const n of names) await rsp.create(n, spec(n, 1));

  let rssPeakSampled = 0;
  const rssSampler = setInterval(() => void rssOf(operator.proc.pid).then((r) => (rssPeakSampled = Math.max(rssPeakSampled, r.current)), () => undefined), 500);
  const cycleTimes: Array<{ cycle: number; canaryReadySeconds: number; injectSeconds: number; revertsSeconds: number }> = [];
  try {
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const c0 = Date.now();
      if (cycle > 1) {
        // Every pod runs again (Ready, the revert applied), then a spec edit starts the next cycle.
        await until(`cycle ${cycle}: every pod Ready at its originals`, 120_000, () =>
          [...watch.pods.values()].filter((p) => !p.metadata?.deletionTimestamp).length === WORKLOADS * REPLICAS &&
          [...watch.pods.values()].every((p) => isReady(p) && applied(p) && sameResources(specOf(p), ORIGINAL)),
        );
        for (const n of names) await rsp.patch(n, { spec: { updateStrategy: { canary: { observationPeriod: `${30 + cycle}m` } } } });
      }
      // The canary pods of this generation: resized (record of cycle g<gen>-…) and applied by the kubelet.
      const gen = cycle;
      const canaries = await until(`cycle ${cycle}: ${PER_WORKLOAD} canary pod(s) per policy resized and applied`, 180_000, () => {
        const out: V1Pod[][] = names.map(() => []);
        for (const p of watch.pods.values()) {
          const cyc = p.metadata?.annotations?.[Annotation.cycle] ?? '';
          if (!cyc.startsWith(`g${gen}-`) || sameResources(specOf(p), ORIGINAL) || !applied(p)) continue;
          const w = names.indexOf(p.metadata?.labels?.app ?? '');
          if (w >= 0) out[w]!.push(p);
        }
        return out.every((l) => l.length >= PER_WORKLOAD) ? out : undefined;
      }, 100);
      const c1 = Date.now();
      // Round-robin over the policies: consecutive injections hit different policies.
      const order: V1Pod[] = [];
      for (let i = 0; i < PER_WORKLOAD; i++) for (const l of canaries) if (l[i]) order.push(l[i]!);
      const mine: Sample[] = [];
      for (const [i, p] of order.entries()) {
        const rec = decodeRecord(p.metadata?.annotations);
        if (rec.state !== 'ok' || !rec.record.originals.app) throw new Error(`${p.metadata?.name}: no readable attune record`);
        const st = p.status?.containerStatuses?.find((c) => c.name === 'app');
        const s: Sample = { cycle, pod: p.metadata!.name!, uid: p.metadata!.uid!, expectRestarts: (st?.restartCount ?? 0) + 1, originals: rec.record.originals.app, injectedAt: Date.now() };
        byUid.set(s.uid, s);
        samples.push(s);
        mine.push(s);
        await b.core.patchNamespacedPod({ name: s.pod, namespace: NS, body: { metadata: { annotations: { 'sim.attune.dev/oom': `c${cycle}-${i}:app` } } } }, mergePatch);
        if (i < order.length - 1) await sleep(GAP_MS);
      }
      const c2 = Date.now();
      await until(`cycle ${cycle}: every injected OOM reverted`, 90_000, () => mine.every((s) => s.revertSeenAt !== undefined), 100).catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
      });
      cycleTimes.push({ cycle, canaryReadySeconds: round1((c1 - c0) / 1000), injectSeconds: round1((c2 - c1) / 1000), revertsSeconds: round1((Date.now() - c2) / 1000) });
      console.error(`cycle ${cycle}: ${mine.filter((s) => s.revertSeenAt).length}/${mine.length} reverted`);
    }
  } finally {
    clearInterval(rssSampler);
    unsubscribe();
  }
  await watch.stop();
  await nodeHealth.stop();

  // The operator's account: its `reverted` lines, matched to the samples by pod and time.
  const lines = logLines(await operator.log());
  for (const s of samples) {
    const l = lines.find((x) => x.msg === 'reverted' && x.pod === s.pod && x.time >= s.injectedAt);
    if (l) s.operatorLoggedAt = l.time;
  }
  const counters = await operator.counters();
  const rss = await rssOf(operator.proc.pid);
  const cpu = await cpuSecondsOf(operator.proc.pid);

  // --- figures ------------------------------------------------------------------------------------
  const complete = samples.filter((s) => s.oomPublishedAt !== undefined && s.revertSeenAt !== undefined);
  const latency = complete.map((s) => s.revertSeenAt! - s.oomPublishedAt!);
  const rvAfter = complete.filter((s) => BigInt(s.revertRV!) > BigInt(s.oomRV!)).length;
  const watchOrder = complete.filter((s) => s.oomSeenAt !== undefined && s.oomSeenAt <= s.revertSeenAt!).length;
  const withLog = complete.filter((s) => s.operatorLoggedAt !== undefined);
  const logAfterOom = withLog.filter((s) => s.operatorLoggedAt! >= s.oomPublishedAt!).length;
  // The operator cannot revert before the OOM status exists: a revert logged before this process
  // stamped the kubelet's response means the stamp was late by at least that much.
  const lateStart = withLog.filter((s) => s.operatorLoggedAt! < s.oomPublishedAt!).map((s) => s.oomPublishedAt! - s.operatorLoggedAt!);
  const q = complete.length ? quantiles(latency) : { p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    load: await machineLoad(),
    code,
    setup: {
      workloads: WORKLOADS,
      replicas: REPLICAS,
      nodes: NODES,
      canaryPercentage: PERCENTAGE,
      canaryPodsPerPolicy: PER_WORKLOAD,
      cycles: CYCLES,
      injectGapMs: GAP_MS,
      operator: 'node src/main.ts, default flags (workers 4, max-resizes-per-pass 50), as the attune ServiceAccount',
      environmentSeconds: round1(setupSeconds),
      settle: settled,
      nodesUnhealthyDuringRun: nodeHealth.unhealthy,
      cycleSeconds: cycleTimes,
    },
    samples: { injected: samples.length, complete: complete.length, missingOomStatus: samples.filter((s) => s.oomPublishedAt === undefined).length, missingRevert: samples.filter((s) => s.revertSeenAt === undefined).length },
    latencyMs: q,
    breakdownMs: {
      oomPublishedToWatch: complete.some((s) => s.oomSeenAt !== undefined) ? quantiles(complete.filter((s) => s.oomSeenAt !== undefined).map((s) => s.oomSeenAt! - s.oomPublishedAt!)) : undefined,
      oomPublishedToOperatorLog: withLog.length ? quantiles(withLog.map((s) => s.operatorLoggedAt! - s.oomPublishedAt!)) : undefined,
      operatorLogToWatch: withLog.length ? quantiles(withLog.map((s) => s.revertSeenAt! - s.operatorLoggedAt!)) : undefined,
      injectToOomPublished: quantiles(complete.map((s) => s.oomPublishedAt! - s.injectedAt)),
    },
    crossChecks: {
      revertResourceVersionAfterOom: `${rvAfter}/${complete.length}`,
      watchSawOomBeforeRevert: `${watchOrder}/${complete.length}`,
      operatorRevertLogAfterOom: `${logAfterOom}/${complete.length} (log lines found: ${withLog.length})`,
      startStampLateBy: lateStart.length ? `≥ ${Math.max(...lateStart)} ms in ${lateStart.length} sample(s)` : 'never seen',
    },
    operator: {
      rssMiB: { ...rss, peakSampled: rssPeakSampled },
      cpuSeconds: cpu,
      counters,
    },
    targets: { p99Ms: { target: `< ${TARGET_P99_MS}`, measured: q.p99, met: q.p99 < TARGET_P99_MS && complete.length >= 50 && complete.length === samples.length } },
    perSample: samples.map((s) => ({
      cycle: s.cycle,
      pod: s.pod,
      latencyMs: s.revertSeenAt !== undefined && s.oomPublishedAt !== undefined ? s.revertSeenAt - s.oomPublishedAt : null,
      oomRV: s.oomRV ?? null,
      revertRV: s.revertRV ?? null,
      operatorLogMs: s.operatorLoggedAt !== undefined && s.oomPublishedAt !== undefined ? s.operatorLoggedAt - s.oomPublishedAt : null,
    })),
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'canary-revert-latency.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(dir, 'canary-revert-latency.md'), markdown(result));
  console.log(JSON.stringify({ ...result, perSample: `${result.perSample.length} samples (see the json)` }, null, 2));
  ok = complete.length === samples.length;
  if (!ok) process.exitCode = 1;
} finally {
  await op?.proc.stop();
  await b.stop(ok);
  stopTimer();
}

function fmt(q: { p50: number; p90: number; p99: number; max: number } | undefined): string {
  return q ? `${q.p50} / ${q.p90} / ${q.p99} / ${q.max}` : 'n/a';
}

function markdown(r: {
  date: string;
  code: { commit: string; srcChanges: string[] };
  machine: { cpus: number; memoryGiB: number };
  load: { loadavg: number[]; uptime: string };
  setup: {
    workloads: number;
    replicas: number;
    nodes: number;
    canaryPercentage: number;
    canaryPodsPerPolicy: number;
    cycles: number;
    injectGapMs: number;
    environmentSeconds: number;
    settle: { nodesRepaired: unknown[]; podsReplaced: string[] };
    nodesUnhealthyDuringRun: unknown[];
    cycleSeconds: Array<{ cycle: number; canaryReadySeconds: number; injectSeconds: number; revertsSeconds: number }>;
  };
  samples: { injected: number; complete: number; missingOomStatus: number; missingRevert: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  breakdownMs: Record<string, { p50: number; p90: number; p99: number; max: number } | undefined>;
  crossChecks: Record<string, string>;
  operator: { rssMiB: { current: number; peak: number }; cpuSeconds: number; counters: Record<string, number> };
  targets: { p99Ms: { target: string; measured: number; met: boolean } };
}): string {
  const c = r.operator.counters;
  return `# Canary revert latency (OOMKill → revert accepted)

Measured ${r.date} on ${r.machine.cpus} cores / ${r.machine.memoryGiB} GiB (\`make bench\`, bench/canary-revert-latency.ts): control plane,
simulated kubelet (in the benchmark's process), Prometheus, the operator (\`node src/main.ts\`, its own process, as its
ServiceAccount, default flags) and the benchmark on the same machine. **Machine load at the end: ${r.load.uptime || r.load.loadavg.join(', ')}**
(other engineers' tests were running; the load average counts runnable processes on 2 cores). Operator code: ${r.code.commit}${
    r.code.srcChanges.length ? ` + uncommitted changes in ${r.code.srcChanges.map((l) => l.slice(3)).join(', ')}` : ''
  }.

${r.setup.workloads} Deployments × ${r.setup.replicas} pods on ${r.setup.nodes} nodes, one Canary ResizePolicy each (percentage ${r.setup.canaryPercentage} →
${r.setup.canaryPodsPerPolicy} canary pods per policy, autoRevert, no promotion). The recommendation lowers memory (1Gi → about 717Mi).
Per cycle every canary pod, once resized and applied, is OOM-killed once through \`sim.attune.dev/oom\` (one pod every
${r.setup.injectGapMs} ms, round-robin over the policies); a spec edit then starts the next cycle. ${r.setup.cycles} cycles.

Latency = the kubelet's OOMKilled status write accepted (\`kubelet.onStatusPublished\`) → the first event of an
independent pod watch showing the recorded originals back in the pod's spec (the operator's \`pods/resize\` revert,
accepted by the apiserver).

| what | figure |
|---|---|
| OOMs injected / complete samples | ${r.samples.injected} / **${r.samples.complete}** (no OOM status: ${r.samples.missingOomStatus}, no revert: ${r.samples.missingRevert}) |
| **revert latency p50 / p90 / p99 / max** | **${fmt(r.latencyMs)} ms** |
| OOM status accepted → seen by the benchmark's watch | ${fmt(r.breakdownMs.oomPublishedToWatch)} ms |
| OOM status accepted → operator's \`reverted\` log line (its patch answered) | ${fmt(r.breakdownMs.oomPublishedToOperatorLog)} ms |
| operator's log line → revert seen by the watch (negative: the watch delivered before the operator's event loop logged the answer) | ${fmt(r.breakdownMs.operatorLogToWatch)} ms |
| (injection patch sent → OOM status accepted, not part of the latency) | ${fmt(r.breakdownMs.injectToOomPublished)} ms |
| revert's resourceVersion after the OOM status's | ${r.crossChecks.revertResourceVersionAfterOom} |
| watch saw the OOM status before the revert | ${r.crossChecks.watchSawOomBeforeRevert} |
| operator's \`reverted\` log line after the OOM status | ${r.crossChecks.operatorRevertLogAfterOom} |
| start stamp late (the operator logged its revert before this process had handled the kubelet's response) | ${r.crossChecks.startStampLateBy} |
| operator reconciles / reverts requested / resizes requested / status writes / events | ${c['attune_reconciles']} / ${c['attune_revertsRequested']} / ${c['attune_resizesRequested']} / ${c['attune_statusWrites']} / ${c['attune_eventsRecorded']} |
| operator RSS current / peak, CPU seconds (whole run) | ${r.operator.rssMiB.current} / ${r.operator.rssMiB.peak} MiB, ${r.operator.cpuSeconds} s |
| environment start (cluster, ${r.setup.workloads * r.setup.replicas} pods, history, Prometheus) | ${r.setup.environmentSeconds} s (nodes re-posted Ready / NotReady pods replaced before the run: ${r.setup.settle.nodesRepaired.length} / ${r.setup.settle.podsReplaced.length}; node Ready/taint changes during it: ${r.setup.nodesUnhealthyDuringRun.length}) |
| per cycle: canary resized+applied / injections / last revert | ${r.setup.cycleSeconds.map((x) => `${x.canaryReadySeconds} / ${x.injectSeconds} / ${x.revertsSeconds} s`).join('; ')} |

| target (issue 5 §10) | measured | |
|---|---|---|
| revert latency p99 ${r.targets.p99Ms.target} ms (≥ 50 samples) | ${r.targets.p99Ms.measured} ms over ${r.samples.complete} | **${r.targets.p99Ms.met ? 'met' : 'not met'}** |

Both stamps are taken in the benchmark's process, which also runs the simulated kubelet and the watch: when its event
loop is busy a stamp is late. The operator's own log times (another process, same clock) bound that: see the two
"late" rows above. Tail samples are worth reading in the json (\`perSample\`) next to the operator's log time.
`;
}
