// `make demo`: on the running local cluster, apply the sample workload, wait until every replica is
// Running and Ready on the simulated nodes, and show it with the real kubectl. Later steps of the
// demo (recommendations, canary resize, revert, promotion) build on this.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { resolveBinaries } from './cluster/binaries.ts';

const run = promisify(execFile);
const opts = new Command('demo').requiredOption('--kubeconfig <path>').parse().opts<{ kubeconfig: string }>();
const { kubectl } = resolveBinaries();
const k = async (...args: string[]) => (await run(kubectl, ['--kubeconfig', opts.kubeconfig, ...args])).stdout;
const step = (s: string) => console.log(`\n▶ ${s}`);

step('nodes registered by the simulated kubelet');
process.stdout.write(await k('get', 'nodes', '-L', 'topology.kubernetes.io/zone'));

step('applying the sample workload (hack/demo/sample-workload.yaml)');
process.stdout.write(await k('apply', '-f', join(import.meta.dirname, 'demo', 'sample-workload.yaml')));

step('waiting for the Deployment to be available');
process.stdout.write(await k('-n', 'shop', 'rollout', 'status', 'deployment/frontend', '--timeout=120s'));

step('pods, scheduled by the real kube-scheduler and reported Running by the simulated kubelet');
process.stdout.write(
  await k('-n', 'shop', 'get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,STATUS:.status.phase,NODE:.spec.nodeName,CPU_REQ:.spec.containers[0].resources.requests.cpu,MEM_REQ:.spec.containers[0].resources.requests.memory,QOS:.status.qosClass'),
);

console.log(`\nThe cluster keeps running. Try:\n  export KUBECONFIG=${opts.kubeconfig}\n  ${kubectl} get pods -A\nStop it with: make cluster-down`);
