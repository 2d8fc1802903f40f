// Integration tier global setup: one real local cluster (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) plus two registered nodes, shared by every integration
// test file. Stopped at the end of the run, also when tests fail; the processes die with vitest
// even if it is killed (PDEATHSIG), so nothing is left behind.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../hack/cluster/cluster.ts';
import { startSimulatedKubelet } from '../../hack/kubelet/simulated-kubelet.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    nodeNames: string[];
    clusterRunDir: string;
    metricsAddress: string;
  }
}

export const INTEGRATION_NODES = 2;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = await mkdtemp(join(tmpdir(), 'attune-it-'));
  const keep = process.env.ATTUNE_KEEP_RUN === '1';
  const cluster = await startCluster({ runDir, removeOnStop: !keep });
  let agent: Awaited<ReturnType<typeof startSimulatedKubelet>>;
  try {
    agent = await startSimulatedKubelet({
      kubeconfig: cluster.kubeconfig,
      nodes: INTEGRATION_NODES,
      namePrefix: 'it-node',
      zones: ['zone-a', 'zone-b'],
      cpu: '4',
      memory: '8Gi',
      resizeActuationMs: 300,
    });
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  console.log(`integration cluster: Kubernetes ${cluster.version} at ${cluster.server}, started in ${(cluster.startedInMs / 1000).toFixed(1)}s (run folder ${runDir})`);
  project.provide('kubeconfig', cluster.kubeconfig);
  project.provide('nodeNames', [...agent.nodeNames]);
  project.provide('clusterRunDir', runDir);
  project.provide('metricsAddress', agent.metricsAddress);
  return async () => {
    await agent.stop();
    await cluster.stop();
  };
}
