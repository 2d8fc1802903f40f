// The whole local environment, in dependency order: the control plane (cluster.ts), the simulated
// kubelet and its nodes, optionally a scenario's workloads, their backfilled history, and a real
// Prometheus scraping the kubelet. Stops in reverse order; a failure part-way stops what started.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { startSimulatedKubelet, type SimulatedKubelet, type SimulatedKubeletOptions } from '../kubelet/simulated-kubelet.ts';
import { containerSeed, resourceNumbers } from '../kubelet/pod-sim.ts';
import { tsdbDirFor, startPrometheus, type RunningPrometheus } from '../prometheus/prometheus.ts';
import { backfill, type BackfillResult } from '../sim/backfill.ts';
import { REPO_ROOT, resolveBinaries } from './binaries.ts';
import { startCluster, type LocalCluster } from './cluster.ts';
import { waitFor } from './probe.ts';

export interface LocalEnvOptions {
  runDir: string;
  nodes: number;
  kubelet?: Partial<Omit<SimulatedKubeletOptions, 'kubeconfig' | 'nodes'>>;
  /** A file under test/scenarios (name without .yaml) or a path to manifests. */
  scenario?: string;
  /** Days of history to backfill for the pods running when Prometheus starts (0: none). */
  historyDays?: number;
  /** Backfill resolution. */
  historyStepMs?: number;
  scrapeIntervalS?: number;
  removeOnStop?: boolean;
}

export interface LocalEnv {
  cluster: LocalCluster;
  kubelet: SimulatedKubelet;
  prometheus: RunningPrometheus;
  history?: BackfillResult;
  stop(): Promise<void>;
}

export function scenarioFile(scenario: string): string {
  return scenario.includes('/') || scenario.endsWith('.yaml') ? scenario : join(REPO_ROOT, 'test', 'scenarios', `${scenario}.yaml`);
}

/** Creates (or updates) every object of a manifest file, in file order. */
export async function applyManifests(kubeconfig: string, file: string): Promise<KubernetesObject[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const objects = loadAllYaml(await readFile(file, 'utf8')) as KubernetesObject[];
  const applied: KubernetesObject[] = [];
  for (const o of objects) applied.push(await api.patch(o, undefined, undefined, 'attune-local-env', true, PatchStrategy.ServerSideApply));
  return applied;
}

/** Waits until every Deployment's desired replicas run on the simulated kubelet. */
async function waitForWorkloads(kubelet: SimulatedKubelet, objects: KubernetesObject[]): Promise<void> {
  const wanted = objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'ReplicaSet')
    .map((o) => ({ ns: o.metadata!.namespace!, replicas: (o as { spec?: { replicas?: number } }).spec?.replicas ?? 1 }));
  const byNs = new Map<string, number>();
  for (const w of wanted) byNs.set(w.ns, (byNs.get(w.ns) ?? 0) + w.replicas);
  await waitFor(
    'the scenario pods to run',
    () => Promise.resolve([...byNs].every(([ns, n]) => kubelet.pods().filter((p) => p.namespace === ns).length >= n)),
    { timeoutMs: 300_000, intervalMs: 250 },
  );
}

export async function startLocalEnv(opts: LocalEnvOptions): Promise<LocalEnv> {
  const cluster = await startCluster({ runDir: opts.runDir, removeOnStop: opts.removeOnStop ?? false });
  const started: Array<() => Promise<void>> = [() => cluster.stop()];
  const stopAll = async () => {
    for (const s of started.splice(0).reverse()) await s();
  };
  try {
    const kubelet = await startSimulatedKubelet({ kubeconfig: cluster.kubeconfig, nodes: opts.nodes, zones: ['zone-a', 'zone-b'], ...opts.kubelet });
    started.push(() => kubelet.stop());

    if (opts.scenario) await waitForWorkloads(kubelet, await applyManifests(cluster.kubeconfig, scenarioFile(opts.scenario)));

    const promDir = join(opts.runDir, 'prometheus');
    await mkdir(promDir, { recursive: true });
    let history: BackfillResult | undefined;
    const days = opts.historyDays ?? 7;
    const pods = kubelet.pods();
    if (days > 0 && pods.length > 0) {
      const endMs = Date.now();
      history = await backfill({
        promtool: resolveBinaries().promtool,
        outDir: tsdbDirFor(promDir),
        workDir: join(promDir, 'backfill'),
        endMs,
        days,
        stepMs: opts.historyStepMs ?? 60_000,
        containers: pods.flatMap((p) =>
          p.containers.map((c) => ({
            namespace: p.namespace,
            pod: p.name,
            uid: p.uid,
            container: c.name,
            image: c.image,
            node: p.node,
            requests: resourceNumbers(c.actual.requests),
            limits: resourceNumbers(c.actual.limits),
            profile: c.profile,
            seed: containerSeed(p, c),
          })),
        ),
      });
      kubelet.adoptHistory(history.finalStates, endMs);
    }
    const prometheus = await startPrometheus({ runDir: promDir, scrapeTargets: [kubelet.metricsAddress], scrapeIntervalS: opts.scrapeIntervalS ?? 5 });
    started.push(() => prometheus.stop());

    await writeFile(
      join(opts.runDir, 'endpoints.json'),
      JSON.stringify({ kubeconfig: cluster.kubeconfig, prometheus: prometheus.url, kubeletMetrics: `http://${kubelet.metricsAddress}/metrics`, scenario: opts.scenario ?? null }, null, 2),
    );
    return { cluster, kubelet, prometheus, ...(history ? { history } : {}), stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
