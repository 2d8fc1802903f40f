// A minimal stand-in for kubelets, enough for the control plane to treat its nodes as real:
//  - registers N Nodes (capacity, allocatable, hostname/zone labels) with Ready=True and keeps
//    their Leases in kube-node-lease renewed, so the node-lifecycle controller never taints them;
//  - reports every pod bound to its nodes as Running and Ready with kubelet-shaped container
//    statuses (including `resources` and `allocatedResources`, without which the apiserver refuses
//    in-place resizes), and finishes graceful deletions as a kubelet does.
// It does not actuate resizes, model usage or serve metrics: that is the simulated kubelet's job.
import { createHash } from 'node:crypto';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type V1Node,
  type V1Pod,
  type V1ContainerStatus,
} from '@kubernetes/client-node';

export interface NodeAgentOptions {
  kubeconfig: string;
  nodes: number;
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  maxPods?: number;
  /** Zones assigned round-robin as topology.kubernetes.io/zone. */
  zones?: string[];
  leaseRenewMs?: number;
}

export interface NodeAgent {
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

export const KUBELET_VERSION = 'v1.35.4';
const LEASE_DURATION_S = 40;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const status = (e: unknown): number | undefined => (e as { code?: number }).code;
const ignore = (...codes: number[]) => (e: unknown) => {
  if (!codes.includes(status(e) ?? -1)) throw e;
};
/** RFC 3339 with microseconds, the wire form of metav1.MicroTime. */
export const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

function nodeObject(name: string, zone: string | undefined): V1Node {
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'attune.dev/simulated': 'true',
        ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
      },
    },
    spec: {},
  };
}

function nodeStatus(o: Required<Pick<NodeAgentOptions, 'cpu' | 'memory' | 'maxPods'>>, now: string) {
  const resources = { cpu: o.cpu, memory: o.memory, pods: String(o.maxPods), 'ephemeral-storage': '100Gi' };
  const cond = (type: string, st: string, reason: string) => ({ type, status: st, reason, message: reason, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        cond('Ready', 'True', 'KubeletReady'),
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      nodeInfo: {
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        containerRuntimeVersion: 'attune-sim://0.1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'attune simulated node',
        kernelVersion: '6.1.0',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/** cpu and memory only: the resources a kubelet reports and in-place resize changes. */
function cpuMem(list: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const k of ['cpu', 'memory']) if (list[k] !== undefined) out[k] = list[k];
  return Object.keys(out).length ? out : undefined;
}

export function runningStatus(pod: V1Pod, podIP: string, now: string) {
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: now, lastProbeTime: null, observedGeneration: pod.metadata?.generation });
  const containerStatuses: V1ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => {
    const requests = cpuMem(c.resources?.requests);
    const limits = cpuMem(c.resources?.limits);
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: `${c.image ?? ''}@sha256:${hash(c.image ?? '')}`,
      containerID: `attune-sim://${hash(`${pod.metadata?.uid}/${c.name}`).slice(0, 64)}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: new Date(now) } },
      resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
      ...(requests ? { allocatedResources: requests } : {}),
    };
  });
  return {
    status: {
      phase: 'Running',
      observedGeneration: pod.metadata?.generation,
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now,
      conditions: ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].map(cond),
      containerStatuses,
    },
  };
}

export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const o = { cpu: opts.cpu ?? '8', memory: opts.memory ?? '32Gi', maxPods: opts.maxPods ?? 110 };
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const coord = kc.makeApiClient(CoordinationV1Api);
  const names = Array.from({ length: opts.nodes }, (_, i) => `${opts.namePrefix ?? 'node'}-${i}`);
  const mine = new Set(names);
  const renewMs = opts.leaseRenewMs ?? 10_000;

  // --- nodes and leases --------------------------------------------------------------------------
  // Lease times are MicroTime (six fraction digits); client-node's typed serialiser writes a Date
  // with three, which the apiserver rejects, so leases go out as raw merge patches.
  const renewLease = async (name: string) => {
    const body = { spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime(new Date()) } };
    try {
      await coord.patchNamespacedLease({ name, namespace: 'kube-node-lease', body }, mergePatch);
    } catch (e) {
      if (status(e) !== 404) throw e;
      await coord.createNamespacedLease({ namespace: 'kube-node-lease', body: { metadata: { name } } }).catch(ignore(409));
      await coord.patchNamespacedLease({ name, namespace: 'kube-node-lease', body }, mergePatch);
    }
  };
  await Promise.all(
    names.map(async (name, i) => {
      const zone = opts.zones?.length ? opts.zones[i % opts.zones.length] : undefined;
      await core.createNode({ body: nodeObject(name, zone) }).catch(ignore(409));
      await core.patchNodeStatus({ name, body: nodeStatus(o, new Date().toISOString()) }, mergePatch);
      await renewLease(name);
    }),
  );
  let stopped = false;
  const heartbeat = setInterval(() => {
    for (const name of names) renewLease(name).catch(() => undefined /* retried next beat */);
  }, renewMs);

  // --- pods ------------------------------------------------------------------------------------------
  let ipCounter = 0;
  const nextIP = () => {
    ipCounter++;
    return `10.244.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
  };
  const handled = new Set<string>();
  const onPod = async (pod: V1Pod) => {
    const nodeName = pod.spec?.nodeName;
    const { name, namespace, uid } = pod.metadata ?? {};
    if (!nodeName || !mine.has(nodeName) || !name || !namespace || !uid) return;
    if (pod.metadata?.deletionTimestamp) {
      // Containers are gone at once: confirm the deletion like a kubelet does.
      await core
        .deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } }) // with a body, the query's grace period is ignored
        .catch(ignore(404, 409));
      return;
    }
    if (pod.status?.phase === 'Running' || handled.has(uid)) return;
    handled.add(uid);
    await core
      .patchNamespacedPodStatus({ name, namespace, body: runningStatus(pod, nextIP(), new Date().toISOString()) }, mergePatch)
      .catch((e: unknown) => {
        handled.delete(uid);
        if (status(e) !== 404) throw e;
      });
  };
  const informer: Informer<V1Pod> = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const handle = (pod: V1Pod) => void onPod(pod).catch((e: unknown) => console.error(`node-agent: pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${String(e)}`));
  informer.on('add', handle);
  informer.on('update', handle);
  // client-node informers stop on errors: restart after a pause while running.
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 1_000);
  });
  await informer.start();

  return {
    nodeNames: names,
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      await informer.stop();
    },
  };
}
