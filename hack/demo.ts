// `make demo`: the local cluster running a scenario (default: oversized) with a week of backfilled
// history in a real Prometheus. Shows the nodes, the workload's pods, and — from PromQL over the
// week — what the pods use next to what they request: the room attune exists to reclaim. Later
// steps (recommendations, canary resize, revert, promotion) build on this.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { resolveBinaries } from './cluster/binaries.ts';

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

console.log(`\nThe cluster keeps running. Try:\n  export KUBECONFIG=${endpoints.kubeconfig}\n  ${kubectl} get pods -A\n  Prometheus: ${endpoints.prometheus}\nStop it with: make cluster-down`);
