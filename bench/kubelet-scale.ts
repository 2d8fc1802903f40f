// Benchmark: one simulated-kubelet process carrying BENCH_PODS pods (default 10,000) on
// BENCH_NODES nodes (default 200) of a real local control plane. Records
//  - pod start-to-Ready: pods created bound to nodes (spec.nodeName, so the scheduler is not what
//    is measured) until the kubelet's Ready status is visible through a watch;
//  - resize actuation: BENCH_RESIZES pods resized through pods/resize until the kubelet reports
//    them applied (observedGeneration and container status resources);
//  - the metrics endpoint: scrape size and time;
//  - the kubelet process's RSS (current and peak).
// Figures go to bench/results/kubelet-scale.{json,md}. Bounded: aborts after BENCH_TIMEOUT_S.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { REPO_ROOT } from '../hack/cluster/binaries.ts';
import { startCluster } from '../hack/cluster/cluster.ts';
import { pool, quantiles, rssOf, timeout } from './lib.ts';

const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const NODES = Number(process.env.BENCH_NODES ?? 200);
const RESIZES = Number(process.env.BENCH_RESIZES ?? 2_000);
const CONCURRENCY = 32;
const NS = 'bench';
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

const stopTimer = timeout(Number(process.env.BENCH_TIMEOUT_S ?? 1_500) * 1000, 'kubelet-scale benchmark');
const runDir = await mkdtemp(join(tmpdir(), 'attune-bench-'));
const cluster = await startCluster({ runDir, removeOnStop: true });
const kubelet = spawn(
  process.execPath,
  [join(REPO_ROOT, 'hack/kubelet/main.ts'), '--kubeconfig', cluster.kubeconfig, '--nodes', String(NODES), '--cpu', '64', '--memory', '256Gi', '--max-pods', '110'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
try {
  const metricsAddress = await new Promise<string>((resolve, reject) => {
    let out = '';
    kubelet.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    kubelet.once('exit', (code) => reject(new Error(`simulated kubelet exited with ${code}`)));
  });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });

  // --- start-to-Ready ----------------------------------------------------------------------------
  const createdAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const appliedAt = new Map<string, number>();
  const resizeTarget = new Map<string, string>();
  const informer = makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS }));
  const observe = (p: V1Pod) => {
    const name = p.metadata!.name!;
    if (!readyAt.has(name) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) readyAt.set(name, Date.now());
    const want = resizeTarget.get(name);
    const cs = p.status?.containerStatuses?.[0];
    if (want && !appliedAt.has(name) && p.status?.observedGeneration === p.metadata?.generation && cs?.resources?.requests?.cpu === want) appliedAt.set(name, Date.now());
  };
  informer.on('add', observe);
  informer.on('update', observe);
  await informer.start();

  const names = Array.from({ length: PODS }, (_, i) => `p-${i}`);
  const t0 = Date.now();
  await pool(names, CONCURRENCY, async (name, i) => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          nodeName: `node-${i % NODES}`,
          containers: [{ name: 'app', image: 'registry.example/bench:1', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } }],
        },
      },
    });
    createdAt.set(name, Date.now());
  });
  const createdAll = Date.now();
  await until(() => readyAt.size >= PODS);
  const readyAll = Date.now();
  const startLatency = names.map((n) => readyAt.get(n)! - createdAt.get(n)!);

  // --- metrics endpoint ----------------------------------------------------------------------------
  const scrapes: Array<{ ms: number; bytes: number }> = [];
  for (let i = 0; i < 3; i++) {
    const s = Date.now();
    const body = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    scrapes.push({ ms: Date.now() - s, bytes: Buffer.byteLength(body) });
  }

  // --- resize actuation ------------------------------------------------------------------------------
  const toResize = names.slice(0, RESIZES);
  for (const n of toResize) resizeTarget.set(n, '150m');
  const r0 = Date.now();
  await pool(toResize, CONCURRENCY, (name) =>
    core.patchNamespacedPodResize({ name, namespace: NS, body: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' } } }] } } }, strategic),
  );
  const resizeRequested = Date.now();
  await until(() => toResize.every((n) => appliedAt.has(n)));
  const resizeDone = Date.now();
  await informer.stop();
  const rss = await rssOf(kubelet.pid!);

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    pods: PODS,
    nodes: NODES,
    startToReady: {
      createSeconds: (createdAll - t0) / 1000,
      allReadySeconds: (readyAll - t0) / 1000,
      podsPerSecond: Math.round(PODS / ((readyAll - t0) / 1000)),
      latencyMs: quantiles(startLatency),
    },
    resize: {
      pods: RESIZES,
      requestSeconds: (resizeRequested - r0) / 1000,
      allAppliedSeconds: (resizeDone - r0) / 1000,
      podsPerSecond: Math.round(RESIZES / ((resizeDone - r0) / 1000)),
      latencyMs: quantiles(toResize.map((n) => appliedAt.get(n)! - r0)),
    },
    scrape: { bytes: scrapes[0]!.bytes, ms: scrapes.map((s) => s.ms) },
    kubeletRssMiB: rss,
  };
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kubelet-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(dir, 'kubelet-scale.md'), markdown(result));
  console.log(JSON.stringify(result, null, 2));
} finally {
  kubelet.kill('SIGTERM');
  await cluster.stop();
  stopTimer();
}

/** Waits for a condition the informer makes true; the global timeout bounds it. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 100));
}

function markdown(r: {
  date: string;
  machine: { cpus: number; memoryGiB: number };
  pods: number;
  nodes: number;
  startToReady: { createSeconds: number; allReadySeconds: number; podsPerSecond: number; latencyMs: Record<string, number> };
  resize: { pods: number; requestSeconds: number; allAppliedSeconds: number; podsPerSecond: number; latencyMs: Record<string, number> };
  scrape: { bytes: number; ms: number[] };
  kubeletRssMiB: { current: number; peak: number };
}): string {
  return `# Simulated kubelet at scale

Measured ${r.date} on ${r.machine.cpus} cores / ${r.machine.memoryGiB} GiB, control plane and benchmark on the same machine
(\`make bench\`, bench/kubelet-scale.ts). One simulated-kubelet process, ${r.pods} pods on ${r.nodes} nodes.

| what | figure |
|---|---|
| pods created (API, ${CONCURRENCY} in flight) | ${r.startToReady.createSeconds.toFixed(1)} s |
| all pods Ready (from first create) | ${r.startToReady.allReadySeconds.toFixed(1)} s → **${r.startToReady.podsPerSecond} pods/s** |
| create → Ready latency p50 / p99 | ${r.startToReady.latencyMs.p50} ms / ${r.startToReady.latencyMs.p99} ms |
| ${r.resize.pods} resizes requested | ${r.resize.requestSeconds.toFixed(1)} s |
| all resizes applied (from first request) | ${r.resize.allAppliedSeconds.toFixed(1)} s → **${r.resize.podsPerSecond} resizes/s** |
| resize request → applied p50 / p99 | ${r.resize.latencyMs.p50} ms / ${r.resize.latencyMs.p99} ms |
| /metrics scrape size | ${(r.scrape.bytes / 2 ** 20).toFixed(1)} MiB |
| /metrics scrape time (3 runs) | ${r.scrape.ms.join(' / ')} ms |
| kubelet RSS current / peak | ${r.kubeletRssMiB.current} / ${r.kubeletRssMiB.peak} MiB |
`;
}

