// Shared by the canary benchmarks (bench/canary-revert-latency.ts, bench/canary-promotion.ts): a
// local environment (real control plane, the simulated kubelet in this process, Prometheus with
// backfilled history) running the benchmark's workloads, the CRD and deploy/rbac.yaml applied, and
// the operator as a separate process (`node src/main.ts`) authenticated as its ServiceAccount —
// which also lets the apiserver's flow-control metrics (FlowSchema `service-accounts`) count its
// requests apart from everyone else's (the kubelet and this benchmark are system:masters, the
// control-plane controllers use kube-system ServiceAccounts).
// Also: pod helpers (applied? same resources?), the operator's and the apiserver's /metrics,
// /proc readers and the machine's load.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { REPO_ROOT, resolveBinaries } from '../hack/cluster/binaries.ts';
import { startLocalEnv, type LocalEnv, type LocalEnvOptions } from '../hack/cluster/local-env.ts';
import { installOperatorIdentity } from '../hack/cluster/operator-identity.ts';
import { startProcess, type ManagedProcess } from '../hack/cluster/process.ts';
import { GROUP, KIND, PLURAL, VERSION } from '../src/api/constants.ts';
import { toBytes, toMillicores } from '../src/core/quantity.ts';

const run = promisify(execFile);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round1 = (x: number) => Math.round(x * 10) / 10;

export interface BenchEnv {
  env: LocalEnv;
  runDir: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  /** kubeconfig with a token of the attune ServiceAccount (deploy/rbac.yaml). */
  saKubeconfig: string;
  /** Stops everything this environment started; keeps the run folder unless `ok`. */
  stop(ok: boolean): Promise<void>;
}

/** Starts the environment with `manifest` (YAML text) as its workloads and a day of their history. */
export async function startBenchEnv(o: {
  prefix: string;
  manifest: string;
  nodes: number;
  kubelet: LocalEnvOptions['kubelet'];
  historyDays?: number;
  historyStepMs?: number;
  scrapeIntervalS?: number;
}): Promise<BenchEnv> {
  const runDir = await mkdtemp(join(tmpdir(), `attune-bench-${o.prefix}-`));
  console.error(`run dir: ${runDir} (removed after a successful run)`);
  const manifestFile = join(runDir, 'workloads.yaml');
  await writeFile(manifestFile, o.manifest);
  const env = await startLocalEnv({
    runDir,
    nodes: o.nodes,
    scenario: manifestFile,
    historyDays: o.historyDays ?? 1,
    ...(o.historyStepMs ? { historyStepMs: o.historyStepMs } : {}),
    ...(o.scrapeIntervalS ? { scrapeIntervalS: o.scrapeIntervalS } : {}),
    kubelet: o.kubelet,
    removeOnStop: false,
  });
  const stop = async (ok: boolean) => {
    await env.stop();
    if (ok && !process.env.BENCH_KEEP_RUN_DIR) await rm(runDir, { recursive: true, force: true });
    else console.error(`logs kept in ${runDir}`);
  };
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(env.cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const saKubeconfig = await installOperatorIdentity(env.cluster.kubeconfig, runDir);
    return { env, runDir, kc, core, apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi), saKubeconfig, stop };
  } catch (e) {
    await stop(false);
    throw e;
  }
}

/** Polls `fn` until it returns something truthy (errors count as not yet); throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : JSON.stringify(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(intervalMs);
  }
}

// ---- the operator process ------------------------------------------------------------------------

export interface OperatorProcess {
  proc: ManagedProcess;
  /** host:port of /metrics. */
  addr: string;
  logFile: string;
  counters(): Promise<Record<string, number>>;
  log(): Promise<string>;
}

/** `node src/main.ts` with `args` (health on a free port), its output in `logFile`; resolves at its `ready` line. */
export async function startOperator(args: string[], logFile: string): Promise<OperatorProcess> {
  const proc = startProcess('attune', process.execPath, [join(REPO_ROOT, 'src', 'main.ts'), ...args, '--health-addr', '127.0.0.1:0'], logFile);
  let addr: string | undefined;
  const deadline = Date.now() + 90_000;
  while (!addr) {
    addr = /^ready (\S+)$/m.exec(await readFile(logFile, 'utf8'))?.[1];
    if (addr) break;
    if (proc.hasExited() || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`the operator ${proc.hasExited() ? 'exited at start' : 'did not print its ready line within 90 s'} (log: ${logFile})`);
    }
    await sleep(50);
  }
  return {
    proc,
    addr,
    logFile,
    counters: async () => unlabelled(parseExposition(await (await fetch(`http://${addr}/metrics`)).text())),
    log: () => readFile(logFile, 'utf8'),
  };
}

/** The operator's pino lines (JSON), parsed; other lines skipped. */
export function logLines(text: string): Array<Record<string, unknown> & { time: number; msg: string }> {
  const out: Array<Record<string, unknown> & { time: number; msg: string }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown> & { time: number; msg: string });
    } catch {
      /* not a log line */
    }
  }
  return out;
}

// ---- metrics expositions ---------------------------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export function unlabelled(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (Object.keys(s.labels).length === 0) out[s.name] = s.value;
  return out;
}

/** Sum of the samples of `name` whose labels match every entry of `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

/** The apiserver's /metrics, read with the admin kubeconfig. */
export async function apiserverMetrics(kubeconfig: string): Promise<Sample[]> {
  const { stdout } = await run(resolveBinaries().kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'], { maxBuffer: 256 * 2 ** 20 });
  return parseExposition(stdout);
}

/** Requests the apiserver served between two scrapes, by verb/resource/subresource (apiserver_request_total), and what flow control dispatched per FlowSchema. */
export function apiserverDelta(before: readonly Sample[], after: readonly Sample[]): { requests: Record<string, number>; byFlowSchema: Record<string, number> } {
  const keyed = (samples: readonly Sample[], name: string, key: (l: Record<string, string>) => string) => {
    const m = new Map<string, number>();
    for (const s of samples) if (s.name === name) m.set(key(s.labels), (m.get(key(s.labels)) ?? 0) + s.value);
    return m;
  };
  const diff = (name: string, key: (l: Record<string, string>) => string) => {
    const a = keyed(before, name, key);
    const out: Record<string, number> = {};
    for (const [k, v] of keyed(after, name, key)) {
      const d = v - (a.get(k) ?? 0);
      if (d > 0) out[k] = d;
    }
    return Object.fromEntries(Object.entries(out).sort((x, y) => y[1] - x[1]));
  };
  return {
    requests: diff('apiserver_request_total', (l) => `${l.verb} ${l.group ? `${l.group}/` : ''}${l.resource}${l.subresource ? `/${l.subresource}` : ''}`),
    byFlowSchema: diff('apiserver_flowcontrol_dispatched_requests_total', (l) => l.flow_schema ?? '?'),
  };
}

// ---- processes and the machine ----------------------------------------------------------------------

/** utime + stime of a process, seconds (USER_HZ is 100 on Linux). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** What else the machine was doing: load averages and `uptime`'s line. */
export async function machineLoad(): Promise<{ loadavg: number[]; uptime: string }> {
  const uptime = await run('uptime', []).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  return { loadavg: loadavg().map((x) => Math.round(x * 100) / 100), uptime };
}

export function machine(): { cpus: number; memoryGiB: number } {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

// ---- pods ---------------------------------------------------------------------------------------------

export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

const valueOf = (resource: string, q: string | undefined): bigint | undefined => (q === undefined ? undefined : resource === 'cpu' ? toMillicores(q) : toBytes(q));

/** cpu and memory requests and limits equal by value (`1000m` is `1`); `slack` allows the kubelet's rounding. */
export function sameResources(a: Resources | undefined, b: Resources | undefined, slack = false): boolean {
  for (const k of ['requests', 'limits'] as const) {
    for (const r of ['cpu', 'memory']) {
      const x = valueOf(r, a?.[k]?.[r]);
      const y = valueOf(r, b?.[k]?.[r]);
      if (x === undefined && y === undefined) continue;
      if (x === undefined || y === undefined) return false;
      const d = x > y ? x - y : y - x;
      if (d > (slack ? (r === 'cpu' ? 10n : 4096n) : 0n)) return false;
    }
  }
  return true;
}

export function specOf(p: V1Pod, container = 'app'): Resources {
  const c = p.spec?.containers.find((x) => x.name === container);
  return { ...(c?.resources?.requests ? { requests: c.resources.requests } : {}), ...(c?.resources?.limits ? { limits: c.resources.limits } : {}) };
}

/** The kubelet has applied the pod's spec: generation observed, no resize condition, every container's status resources equal to its spec. */
export function applied(p: V1Pod): boolean {
  if ((p.status?.observedGeneration ?? 0) < (p.metadata?.generation ?? 0)) return false;
  if (p.status?.conditions?.some((c) => c.type === 'PodResizePending' || c.type === 'PodResizeInProgress')) return false;
  return (p.spec?.containers ?? []).every((c) => {
    const st = p.status?.containerStatuses?.find((s) => s.name === c.name);
    return st?.resources !== undefined && sameResources(st.resources, specOf(p, c.name), true);
  });
}

export const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** An informer on one namespace's pods; `on` sees every add/update with the time it arrived. */
export async function watchPods(kc: KubeConfig, core: CoreV1Api, namespace: string, on: (p: V1Pod, atMs: number) => void): Promise<{ pods: Map<string, V1Pod>; errors: string[]; stop(): Promise<void> }> {
  const pods = new Map<string, V1Pod>();
  const errors: string[] = [];
  let stopped = false;
  const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace }));
  const seen = (p: V1Pod) => {
    const at = Date.now();
    pods.set(p.metadata!.name!, p);
    on(p, at);
  };
  informer.on('add', seen);
  informer.on('update', seen);
  informer.on('delete', (p: V1Pod) => pods.delete(p.metadata!.name!));
  informer.on('error', (e: unknown) => {
    errors.push(`${new Date().toISOString()} ${e instanceof Error ? e.message : String(e)}`);
    // client-node informers stop on error: start again after a moment (a relist).
    if (!stopped) setTimeout(() => void (stopped ? undefined : informer.start().catch(() => undefined)), 1_000);
  });
  await informer.start();
  return {
    pods,
    errors,
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}

// ---- policies -----------------------------------------------------------------------------------------

export function policyApi(custom: CustomObjectsApi, namespace: string) {
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  return {
    create: (name: string, spec: unknown) => custom.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: { name }, spec } }),
    /** A merge patch, as `kubectl patch rsp NAME --type merge -p …` sends it. */
    patch: (name: string, body: unknown) => custom.patchNamespacedCustomObject({ ...ref, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    get: async (name: string) => (await custom.getNamespacedCustomObject({ ...ref, name })) as PolicyObject,
    list: async () => ((await custom.listNamespacedCustomObject(ref)) as { items: PolicyObject[] }).items,
  };
}

export type PolicyObject = KubernetesObject & {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    canary?: { phase?: string; pods?: string[]; podCount?: number; startTime?: string; observationEnd?: string };
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    resizeHistory?: Array<{ time: string; pod: string; result: string; reason?: string; cycle?: string }>;
  };
};

/** A Deployment of `replicas` pods with one container `app` and a usage profile, as YAML. */
export function deploymentYaml(o: { namespace: string; name: string; replicas: number; requests: Record<string, string>; limits: Record<string, string>; profile: string }): string {
  const list = (r: Record<string, string>) => `{ ${Object.entries(r).map(([k, v]) => `${k}: "${v}"`).join(', ')} }`;
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${o.name}
  namespace: ${o.namespace}
  labels: { app: ${o.name} }
spec:
  replicas: ${o.replicas}
  selector:
    matchLabels: { app: ${o.name} }
  template:
    metadata:
      labels: { app: ${o.name} }
      annotations:
        sim.attune.dev/profile: |
${o.profile
  .trim()
  .split('\n')
  .map((l) => `          ${l}`)
  .join('\n')}
    spec:
      containers:
        - name: app
          image: registry.example/bench/app:1.0
          resources:
            requests: ${list(o.requests)}
            limits: ${list(o.limits)}
`;
}

// ---- the environment's own health ----------------------------------------------------------------------

const NODE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];
const nodeHealthy = (n: V1Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !(n.spec?.taints ?? []).some((t) => NODE_TAINTS.includes(t.key));

/**
 * Before measuring: every node Ready and untainted, and `expected` pods of `namespace` Running and
 * Ready. Under heavy machine load the node-lifecycle controller can see a node's lease lapse while
 * the workload starts and mark the node Unknown ("Kubelet stopped posting node status", taints
 * node.kubernetes.io/unreachable) and its pods NotReady. The simulated kubelet posts node status
 * only when it registers a node and writes a pod's status only when its own view changes, so such
 * nodes and pods never recover by themselves (the pods are evicted 5 minutes later). Here the
 * benchmark does what a kubelet would: it posts Ready=True for those nodes (the controller then
 * lifts the taints), deletes the pods left NotReady and waits for their replacements. What had to be
 * repaired is reported with the results.
 */
export async function settleWorkload(
  b: BenchEnv,
  namespace: string,
  expected: number,
): Promise<{ seconds: number; nodesRepaired: Array<{ node: string; ready: string; reason: string; taints: string[] }>; podsReplaced: string[] }> {
  const t0 = Date.now();
  // Nodes: give the controller a moment (a lapse it has just noticed), then repair what is still down.
  const nodesRepaired: Array<{ node: string; ready: string; reason: string; taints: string[] }> = [];
  const healthyNow = async () => (await b.core.listNode()).items.every(nodeHealthy);
  if (!(await until('every node Ready and untainted', 15_000, healthyNow, 1_000).catch(() => false))) {
    for (const n of (await b.core.listNode()).items.filter((x) => !nodeHealthy(x))) {
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      nodesRepaired.push({ node: n.metadata!.name!, ready: ready?.status ?? '?', reason: `${ready?.reason ?? ''}: ${ready?.message ?? ''}`, taints: (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`) });
      const now = new Date().toISOString();
      await b.core.patchNodeStatus(
        { name: n.metadata!.name!, body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status (re-posted by the benchmark)', lastHeartbeatTime: now, lastTransitionTime: now }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    }
    console.error(`${nodesRepaired.length} node(s) marked Unknown by the node-lifecycle controller; Ready re-posted: ${nodesRepaired.map((n) => n.node).join(', ')}`);
    await until('every node Ready and untainted after re-posting Ready', 120_000, healthyNow, 1_000);
  }
  // Pods.
  const podsNow = async () => (await b.core.listNamespacedPod({ namespace })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const good = (p: V1Pod) => p.status?.phase === 'Running' && isReady(p) && (p.status.containerStatuses ?? []).every((c) => c.resources !== undefined);
  const allGood = async () => {
    const ps = await podsNow();
    return ps.length === expected && ps.every(good);
  };
  const podsReplaced: string[] = [];
  if (!(await until(`${expected} pods Ready`, 30_000, allGood, 1_000).catch(() => false))) {
    for (const p of (await podsNow()).filter((x) => !good(x))) {
      podsReplaced.push(p.metadata!.name!);
      await b.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace }).catch(() => undefined);
    }
    console.error(`${podsReplaced.length} pod(s) NotReady after start; deleted for the ReplicaSet to replace them`);
    await until(`${expected} pods Ready after replacing ${podsReplaced.length}`, 240_000, allGood, 1_000);
  }
  return { seconds: round1((Date.now() - t0) / 1000), nodesRepaired, podsReplaced };
}

/** Records every moment a node is not Ready or carries an unreachable / not-ready taint. */
export async function watchNodeHealth(kc: KubeConfig, core: CoreV1Api): Promise<{ unhealthy: Array<{ node: string; at: string }>; stop(): Promise<void> }> {
  const unhealthy: Array<{ node: string; at: string }> = [];
  const informer = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
  const seen = (n: V1Node) => {
    if (!nodeHealthy(n)) unhealthy.push({ node: n.metadata?.name ?? '?', at: new Date().toISOString() });
  };
  informer.on('add', seen);
  informer.on('update', seen);
  await informer.start();
  return { unhealthy, stop: () => informer.stop() };
}

/** The operator code measured: HEAD and the files under src/ that differ from it (others edit src/ meanwhile). */
export async function codeState(): Promise<{ commit: string; srcChanges: string[] }> {
  const git = async (args: string[]) => (await run('git', ['-C', REPO_ROOT, ...args])).stdout.trim();
  return {
    commit: await git(['rev-parse', '--short', 'HEAD']).catch(() => '?'),
    srcChanges: (await git(['status', '--porcelain', '--', 'src']).catch(() => '')).split('\n').filter(Boolean),
  };
}
