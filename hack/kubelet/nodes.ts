// Node objects of the simulated kubelet: registration (capacity, allocatable, hostname / zone /
// os / arch labels), the Ready condition, and Lease heartbeats in kube-node-lease so the
// node-lifecycle controller never marks the nodes unreachable, taints or evicts them.
import { PatchStrategy, setHeaderOptions, type CoordinationV1Api, type CoreV1Api, type V1Node } from '@kubernetes/client-node';

export const KUBELET_VERSION = 'v1.35.4';
const LEASE_DURATION_S = 40;
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface NodeShape {
  cpu: string;
  memory: string;
  maxPods: number;
}

/** HTTP status of a client-node ApiException. */
export const httpStatus = (e: unknown): number | undefined => (e as { code?: number }).code;
export const ignoreStatus = (...codes: number[]) => (e: unknown) => {
  if (!codes.includes(httpStatus(e) ?? -1)) throw e;
};

/** RFC 3339 with microseconds, the wire form of metav1.MicroTime. */
export const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function nodeObject(name: string, zone: string | undefined): V1Node {
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

export function nodeStatus(shape: NodeShape, now: string) {
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.maxPods), 'ephemeral-storage': '100Gi' };
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
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: '127.0.0.1' },
      ],
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

export class NodeRegistrar {
  private readonly core: CoreV1Api;
  private readonly coord: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;

  constructor(core: CoreV1Api, coord: CoordinationV1Api) {
    this.core = core;
    this.coord = coord;
  }

  async register(names: readonly string[], shape: NodeShape, zones: readonly string[] | undefined, renewMs: number): Promise<void> {
    // Bounded concurrency: 200 nodes must not open 600 requests at once.
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names.slice(i, i + 20).map(async (name, j) => {
          const zone = zones?.length ? zones[(i + j) % zones.length] : undefined;
          await this.core.createNode({ body: nodeObject(name, zone) }).catch(ignoreStatus(409));
          await this.core.patchNodeStatus({ name, body: nodeStatus(shape, new Date().toISOString()) }, mergePatch);
          await this.renewLease(name);
        }),
      );
    }
    this.timer = setInterval(() => {
      for (const name of names) this.renewLease(name).catch(() => undefined /* retried next beat */);
    }, renewMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  // Lease times are MicroTime (six fraction digits); client-node's typed serialiser writes a Date
  // with three, which the apiserver rejects, so leases go out as raw merge patches.
  private async renewLease(name: string): Promise<void> {
    const body = { spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime(new Date()) } };
    try {
      await this.coord.patchNamespacedLease({ name, namespace: 'kube-node-lease', body }, mergePatch);
    } catch (e) {
      if (httpStatus(e) !== 404) throw e;
      await this.coord.createNamespacedLease({ namespace: 'kube-node-lease', body: { metadata: { name } } }).catch(ignoreStatus(409));
      await this.coord.patchNamespacedLease({ name, namespace: 'kube-node-lease', body }, mergePatch);
    }
  }
}
