// `make demo`: the local cluster running a scenario (default: oversized) with a week of backfilled
// history in a real Prometheus. Shows the nodes, the workload's pods, and — from PromQL over the
// week — what the pods use next to what they request: the room attune exists to reclaim. Then the
// operator does its job: a Canary ResizePolicy resizes a canary subset in place, observes it,
// promotes the size to every pod, and — when a pod is OOM-killed at its new size — puts that pod
// back at once. The operator runs as a child of this script and stops with it; the cluster keeps
// running until `make cluster-down`.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { resolveBinaries } from './cluster/binaries.ts';
import { dieWithParent } from './cluster/process.ts';
import { toBytes, toMillicores } from '../src/core/quantity.ts';

const run = promisify(execFile);
const opts = new Command('demo').requiredOption('--run-dir <path>').option('--namespace <ns>', 'the scenario namespace', 'oversized').parse().opts<{ runDir: string; namespace: string }>();
const endpoints = JSON.parse(readFileSync(join(opts.runDir, 'endpoints.json'), 'utf8')) as { kubeconfig: string; prometheus: string };
const { kubectl } = resolveBinaries();
const k = async (...args: string[]) => (await run(kubectl, ['--kubeconfig', endpoints.kubeconfig, ...args])).stdout;
const step = (s: string) => console.log(`\n▶ ${s}`);

async function promql(query: string): Promise<Map<string, number>> {
  const res = await fetch(`${endpoints.prometheus}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
  const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return new Map(body.data.result.map((r) => [r.metric.pod ?? '', Number(r.value[1])]));
}

step('nodes registered by the simulated kubelet');
process.stdout.write(await k('get', 'nodes', '-L', 'topology.kubernetes.io/zone'));

step(`pods of the '${opts.namespace}' scenario: scheduled by kube-scheduler, run by the simulated kubelet`);
process.stdout.write(
  await k('-n', opts.namespace, 'get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,STATUS:.status.phase,READY:.status.containerStatuses[0].ready,NODE:.spec.nodeName,CPU_REQ:.spec.containers[0].resources.requests.cpu,MEM_REQ:.spec.containers[0].resources.requests.memory'),
);

step('a week of usage from Prometheus (backfilled history + live scrapes) against the requests');
const sel = `namespace="${opts.namespace}",container!=""`;
const [cpuP95, memP99, cpuReq, memReq] = await Promise.all([
  promql(`quantile_over_time(0.95, sum by (pod)(rate(container_cpu_usage_seconds_total{${sel}}[5m]))[7d:5m])`),
  promql(`sum by (pod)(quantile_over_time(0.99, container_memory_working_set_bytes{${sel}}[7d]))`),
  promql(`sum by (pod)(kube_pod_container_resource_requests{namespace="${opts.namespace}",resource="cpu"})`),
  promql(`sum by (pod)(kube_pod_container_resource_requests{namespace="${opts.namespace}",resource="memory"})`),
]);
const mi = (b: number) => `${Math.round(b / 2 ** 20)}Mi`;
console.log(`${'POD'.padEnd(30)} ${'CPU p95'.padStart(8)} ${'CPU req'.padStart(8)} ${'MEM p99'.padStart(8)} ${'MEM req'.padStart(8)}`);
for (const pod of [...cpuP95.keys()].sort()) {
  console.log(
    `${pod.padEnd(30)} ${`${Math.round(cpuP95.get(pod)! * 1000)}m`.padStart(8)} ${`${Math.round((cpuReq.get(pod) ?? 0) * 1000)}m`.padStart(8)} ${mi(memP99.get(pod) ?? 0).padStart(8)} ${mi(memReq.get(pod) ?? 0).padStart(8)}`,
  );
}

// ---- the operator at work ------------------------------------------------------------------------
const ns = opts.namespace;
const repo = join(import.meta.dirname, '..');
const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await k(...args, '-o', 'json')) as T;
type Pod = { metadata: { name: string; annotations?: Record<string, string> }; spec: { containers: Array<{ name: string; resources: { requests?: Record<string, string>; limits?: Record<string, string> } }> } };
type Policy = { status?: { canary?: { phase?: string; pods?: string[]; observationEnd?: string }; conditions?: Array<{ type: string; reason: string; message: string }>; resizeHistory?: Array<{ pod: string; result: string; reason?: string; time: string }> } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}
const requestsTable = async () => {
  const pods = (await json<{ items: Pod[] }>('-n', ns, 'get', 'pods')).items;
  let cpu = 0;
  let mem = 0;
  for (const p of pods) {
    const r = p.spec.containers[0]!.resources.requests ?? {};
    cpu += Number(toMillicores(r.cpu ?? '0') ?? 0n);
    mem += Number(toBytes(r.memory ?? '0') ?? 0n);
  }
  return { pods, cpu, mem };
};

step('start the attune operator (node src/main.ts) and install its CRD');
await k('apply', '-f', join(repo, 'crds', 'attune.dev_resizepolicies.yaml'));
await k('wait', '--for=condition=Established', 'crd/resizepolicies.attune.dev', '--timeout=60s');
const [opCmd, opArgs] = dieWithParent(process.execPath, [join(repo, 'src', 'main.ts'), '--kubeconfig', endpoints.kubeconfig, '--prometheus-url', endpoints.prometheus, '--health-addr', '127.0.0.1:0', '--log-level', 'warn']);
const operator = spawn(opCmd, opArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
const stopOperator = () => operator.exitCode === null && operator.kill('SIGKILL');
process.on('exit', stopOperator);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
await new Promise<void>((resolve, reject) => {
  let out = '';
  operator.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready ')) resolve();
  });
  operator.on('exit', (code) => reject(new Error(`the operator exited with ${code}`)));
});
const before = await requestsTable();

step(`a Canary ResizePolicy for Deployment ${ns}: 34 % canary, 20 s observation, auto-promote`);
await k('-n', ns, 'delete', 'rsp', ns, '--ignore-not-found');
const policyYaml = `apiVersion: attune.dev/v1alpha1
kind: ResizePolicy
metadata: { name: ${ns}, namespace: ${ns} }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${ns} }
  metrics: { historyWindow: 7d, step: 5m }
  updateStrategy:
    type: Canary
    canary: { percentage: 34, observationPeriod: 20s, autoPromote: true }
    cooldown: 1h
`;
console.log(policyYaml);
await new Promise<void>((resolve, reject) => {
  const apply = spawn(kubectl, ['--kubeconfig', endpoints.kubeconfig, 'apply', '-f', '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
  apply.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`))));
  apply.stdin.end(policyYaml);
});

const policy = () => json<Policy>('-n', ns, 'get', 'rsp', ns);
const canary = await until('the canary wave', async () => {
  const c = (await policy()).status?.canary;
  return c?.phase === 'CanaryInProgress' && c.pods?.length ? c : undefined;
});
console.log(`canary pods (spread across nodes and zones): ${canary.pods!.join(', ')}; observed until ${canary.observationEnd}`);
process.stdout.write(await k('-n', ns, 'get', 'rsp'));

step('observation passes without a revert: promoted, every pod resized in place (no restart)');
await until('FullRollout', async () => ((await policy()).status?.canary?.phase === 'FullRollout' ? true : undefined));
const after = await until('every pod resized', async () => {
  const t = await requestsTable();
  const done = t.pods.every((p) => p.metadata.annotations?.['attune.dev/cycle']);
  return done ? t : undefined;
});
process.stdout.write(
  await k('-n', ns, 'get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,RESTARTS:.status.containerStatuses[0].restartCount,CPU_REQ:.spec.containers[0].resources.requests.cpu,MEM_REQ:.spec.containers[0].resources.requests.memory,CPU_LIM:.spec.containers[0].resources.limits.cpu,MEM_LIM:.spec.containers[0].resources.limits.memory,APPLIED_CPU:.status.containerStatuses[0].resources.requests.cpu'),
);
console.log(`requests of the workload: cpu ${before.cpu}m → ${after.cpu}m, memory ${mi(before.mem)} → ${mi(after.mem)} (reclaimed ${before.cpu - after.cpu}m and ${mi(before.mem - after.mem)})`);

step('a pod is OOM-killed at its new size (injected): attune puts its recorded originals back');
const victim = after.pods[0]!.metadata.name;
await k('-n', ns, 'annotate', 'pod', victim, '--overwrite', `sim.attune.dev/oom=demo-${Date.now()}:*`);
const injected = Date.now(); // the annotation is written; the simulated kubelet OOM-kills at once
const reverted = await until('the revert', async () => (await policy()).status?.resizeHistory?.find((h) => h.pod === victim && h.result === 'Reverted'));
console.log(`${victim}: ${reverted.result} (${reverted.reason}) at ${reverted.time}, ${Date.parse(reverted.time) - injected} ms after the injection was written`);
process.stdout.write(await k('-n', ns, 'get', 'events', '--field-selector', 'reason=Reverted'));
console.log(`\nEvery decision: kubectl -n ${ns} get rsp ${ns} -o yaml (status.resizeHistory, status.canary, conditions); kubectl -n ${ns} get events`);
stopOperator();

console.log(`\nThe operator stopped with the demo; the cluster keeps running. Try:\n  export KUBECONFIG=${endpoints.kubeconfig}\n  ${kubectl} get pods -A\n  Prometheus: ${endpoints.prometheus}\nStop it with: make cluster-down`);
