// Runs the simulated kubelet on its own against any cluster's kubeconfig, until SIGINT/SIGTERM:
//   node hack/kubelet/main.ts --kubeconfig K --nodes 200 [--cpu 64 --memory 256Gi --max-pods 110]
// Prints one line `ready <metricsAddress>` once its nodes are registered and its watch runs.
import { Command, InvalidArgumentError } from 'commander';
import { startSimulatedKubelet } from './simulated-kubelet.ts';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};
const o = new Command('simulated-kubelet')
  .requiredOption('--kubeconfig <path>')
  .option('--nodes <n>', 'nodes to register', int, 2)
  .option('--name-prefix <p>', 'node name prefix', 'node')
  .option('--cpu <q>', 'CPU of each node', '8')
  .option('--memory <q>', 'memory of each node', '32Gi')
  .option('--max-pods <n>', 'pods per node', int, 110)
  .option('--resize-actuation-ms <ms>', 'time a resize stays in progress', int, 500)
  .option('--status-write-concurrency <n>', 'status patches in flight', int, 16)
  .parse()
  .opts<{ kubeconfig: string; nodes: number; namePrefix: string; cpu: string; memory: string; maxPods: number; resizeActuationMs: number; statusWriteConcurrency: number }>();

const kubelet = await startSimulatedKubelet({
  kubeconfig: o.kubeconfig,
  nodes: o.nodes,
  namePrefix: o.namePrefix,
  cpu: o.cpu,
  memory: o.memory,
  maxPods: o.maxPods,
  resizeActuationMs: o.resizeActuationMs,
  statusWriteConcurrency: o.statusWriteConcurrency,
  zones: ['zone-a', 'zone-b', 'zone-c'],
});
console.log(`ready ${kubelet.metricsAddress}`);
const stop = () => void kubelet.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
