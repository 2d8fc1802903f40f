// Node objects of the simulated kubelet: registration (capacity, allocatable, hostname / zone /
// os / arch labels), the node status a kubelet keeps posting, and Lease heartbeats in
// kube-node-lease.
//
// The status loop is the kubelet's tryUpdateNodeStatus: every `statusUpdateMs` (the kubelet's
// nodeStatusUpdateFrequency, 10 s) each node's status as last seen is compared with what the
// kubelet believes (the pressure conditions False, Ready True, its capacity, addresses and
// nodeInfo); the status is patched when they differ other than in heartbeat times, or when
// `statusReportMs` (nodeStatusReportFrequency, 5 min) has passed since the last patch. So when the
// node-lifecycle controller marked a node Ready=Unknown ("Kubelet stopped posting node status")
// because Lease renewals were late — a loaded machine — the kubelet puts Ready=True back within one
// period, and the controller then lifts its unreachable taints. "As last seen" is an informer
// cache of our Nodes, not a GET per node and period: 200 nodes cost nothing between changes.
import { randomBytes } from 'node:crypto';
import {
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type CoordinationV1Api,
  type CoreV1Api,
  type Informer,
  type KubeConfig,
  type ObjectCache,
  type V1Node,
  type V1NodeStatus,
} from '@kubernetes/client-node';
import { parseQuantity } from '../sim/units.ts';
import { apiTime, olderVersion } from './api-values.ts';

export const KUBELET_VERSION = 'v1.35.4';
const LEASE_DURATION_S = 40;
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Status writes as a kubelet sends them: lists with a merge key (conditions by type) are merged
 * item by item, so entries other components own stay. */
export const strategicMergePatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
/** The label our Nodes carry; the node informer selects on it. */
export const SIMULATED_LABEL = 'attune.dev/simulated';

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
        [SIMULATED_LABEL]: 'true',
        ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
      },
    },
    spec: {},
  };
}

/** The conditions a kubelet sets on its Node (pkg/kubelet/nodestatus setters), healthy. */
export const KUBELET_NODE_CONDITIONS = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', event: 'NodeHasSufficientMemory' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', event: 'NodeHasNoDiskPressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', event: 'NodeHasSufficientPID' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', event: 'NodeReady' },
] as const;

export interface NodeStatusUpdate {
  /** The body of the status patch (strategic merge: conditions merge by type). */
  body: { status: Record<string, unknown> };
  /** Whether the kubelet's status differs from `current` other than in heartbeat times (the
   * kubelet's nodeStatusHasChanged): a patch is due now, not only at the report frequency. */
  changed: boolean;
  /** Reasons of the Normal events the kubelet records on the Node for condition transitions. */
  events: string[];
}

/**
 * What the kubelet's tryUpdateNodeStatus makes of `current` (the Node's status as last seen;
 * undefined for a node just created) at `now`, following the 1.35 setters:
 *  - Ready is always the kubelet's (True, KubeletReady, "kubelet is posting ready status"), its
 *    lastTransitionTime kept while the status was already True; a change from another status
 *    records `NodeReady`;
 *  - a pressure condition not False (Unknown after the node-lifecycle controller, or absent) becomes
 *    False with the kubelet's reason and message and records its event (NodeHasSufficientMemory, …);
 *    one already False keeps its reason, message and transition time and only gets a heartbeat;
 *  - capacity, allocatable (compared as quantities), addresses and nodeInfo are the kubelet's.
 * Conditions of other types are left alone (the patch does not name them).
 */
export function kubeletNodeStatus(shape: NodeShape, current: V1NodeStatus | undefined, now: Date): NodeStatusUpdate {
  const at = apiTime(now)!;
  const existing = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  const events: string[] = [];
  let changed = false;
  const conditions = KUBELET_NODE_CONDITIONS.map((k) => {
    const old = existing.get(k.type);
    const held = old?.status === k.status;
    if (k.type !== 'Ready' && held) return { type: k.type, lastHeartbeatTime: at };
    // A transition (or a condition created): the event only for an existing condition's change of
    // status, except that the pressure setters also record one on creation.
    if (!held && (old || k.type !== 'Ready')) events.push(k.event);
    const lastTransitionTime = held ? (apiTime(old.lastTransitionTime) ?? at) : at;
    if (!held || old.reason !== k.reason || old.message !== k.message) changed = true;
    return { type: k.type, status: k.status, reason: k.reason, message: k.message, lastHeartbeatTime: at, lastTransitionTime };
  });
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.maxPods), 'ephemeral-storage': '100Gi' };
  const addresses = [
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: '127.0.0.1' },
  ];
  const nodeInfo = {
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
  };
  const sameQuantities = (list: Record<string, string> | undefined) =>
    Object.entries(resources).every(([k, q]) => list?.[k] !== undefined && parseQuantity(list[k]) === parseQuantity(q));
  const oldInfo = current?.nodeInfo as Record<string, unknown> | undefined;
  if (
    !sameQuantities(current?.capacity) ||
    !sameQuantities(current?.allocatable) ||
    JSON.stringify((current?.addresses ?? []).map((a) => [a.type, a.address])) !== JSON.stringify(addresses.map((a) => [a.type, a.address])) ||
    Object.entries(nodeInfo).some(([k, v]) => (oldInfo?.[k] ?? '') !== v)
  ) {
    changed = true;
  }
  return { body: { status: { capacity: resources, allocatable: resources, conditions, addresses, nodeInfo } }, changed, events };
}

export interface NodeRegistrarOptions {
  names: readonly string[];
  shape: NodeShape;
  /** Zones assigned round-robin as topology.kubernetes.io/zone. */
  zones?: readonly string[];
  leaseRenewMs: number;
  /** nodeStatusUpdateFrequency: how often each node's status is checked (and patched if it differs). */
  statusUpdateMs: number;
  /** nodeStatusReportFrequency: a status unchanged this long is patched anyway (fresh heartbeats). */
  statusReportMs: number;
  warn: (what: string, e: unknown) => void;
}

/** Our Nodes: registration, then the kubelet's status loop and Lease heartbeats until stop(). */
export class NodeRegistrar {
  private readonly core: CoreV1Api;
  private readonly coord: CoordinationV1Api;
  private readonly o: NodeRegistrarOptions;
  private readonly informer: Informer<V1Node> & ObjectCache<V1Node>;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Per node: when its status was last patched, and the Node the apiserver returned then (newer
   * than the cache until the watch delivers it). */
  private readonly reported = new Map<string, { atMs: number; node: V1Node }>();
  private syncing: Promise<void> | undefined;
  private stopped = false;

  constructor(kc: KubeConfig, core: CoreV1Api, coord: CoordinationV1Api, o: NodeRegistrarOptions) {
    this.core = core;
    this.coord = coord;
    this.o = o;
    const selector = `${SIMULATED_LABEL}=true`;
    this.informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode({ labelSelector: selector }), selector);
    // client-node informers stop on errors: restart after a pause while running.
    this.informer.on('error', (e: unknown) => {
      o.warn('node watch', e);
      if (!this.stopped) setTimeout(() => void this.informer.start().catch((err: unknown) => o.warn('node watch restart', err)), 1_000);
    });
  }

  /** Creates the Nodes (kept if they exist), posts their first status and Leases, starts the loops.
   * Resolves once every node is Ready in the API. */
  async register(): Promise<void> {
    const { names, zones } = this.o;
    // Bounded concurrency: 200 nodes must not open 200 requests at once.
    await inBatches(names, 20, async (name, i) => {
      const zone = zones?.length ? zones[i % zones.length] : undefined;
      await this.core.createNode({ body: nodeObject(name, zone) }).catch(ignoreStatus(409));
    });
    await this.informer.start();
    try {
      // The first pass patches every node: nothing was reported yet (a kubelet that restarts
      // reports at once too). A node that fails here fails the start.
      await this.syncStatus(true);
      await inBatches(names, 20, (name) => this.renewLease(name));
    } catch (e) {
      await this.stop(); // no watch left running behind a failed start
      throw e;
    }
    this.timers.push(
      setInterval(() => {
        for (const name of names) this.renewLease(name).catch(() => undefined /* retried next beat */);
      }, this.o.leaseRenewMs),
      setInterval(() => {
        // One pass at a time, as the kubelet's loop: a pass slowed by a loaded apiserver delays the next.
        this.syncing ??= this.syncStatus(false)
          .catch((e: unknown) => this.o.warn('node status', e))
          .finally(() => (this.syncing = undefined));
      }, this.o.statusUpdateMs),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.informer.stop();
    await this.syncing;
  }

  /**
   * One tryUpdateNodeStatus per node: patch the status when it differs from the kubelet's, or when
   * the report frequency has passed. `strict`: a failure throws (registration); otherwise it is
   * logged and the next period tries again.
   */
  private async syncStatus(strict: boolean): Promise<void> {
    await inPool(this.o.names, 20, async (name) => {
      if (this.stopped) return;
      const cached = this.informer.get(name);
      const last = this.reported.get(name);
      // The newer of the cache and our own last write (the watch may not have delivered that yet):
      // comparing with an older status would see a transition that already happened.
      const current = last && olderVersion(cached?.metadata?.resourceVersion, last.node.metadata?.resourceVersion) ? last.node : cached;
      if (!current) {
        if (strict) throw new Error(`node ${name} is not in the node watch after registration`);
        return; // deleted: the kubelet's GET would fail likewise, every period
      }
      const now = new Date();
      const update = kubeletNodeStatus(this.o.shape, current.status, now);
      if (!update.changed && last && now.getTime() - last.atMs < this.o.statusReportMs) return;
      try {
        const node = await this.core.patchNodeStatus({ name, body: update.body }, strategicMergePatch);
        this.reported.set(name, { atMs: now.getTime(), node });
      } catch (e) {
        if (strict) throw e;
        this.o.warn(`status of node ${name}`, e);
        return;
      }
      // Recorded in the background, as the kubelet's event recorder does: 200 nodes recovering at
      // once must not wait for 800 event writes before the next status patch.
      for (const reason of update.events) void this.nodeEvent(name, reason);
    });
  }

  /** A Normal event on the Node, as the kubelet records it (namespace default, uid = node name). */
  private async nodeEvent(name: string, reason: string): Promise<void> {
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace: 'default' },
          involvedObject: { kind: 'Node', name, uid: name },
          reason,
          message: `Node ${name} status is now: ${reason}`,
          type: 'Normal',
          source: { component: 'kubelet', host: name },
          reportingComponent: 'kubelet',
          reportingInstance: name,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((e: unknown) => this.o.warn(`event ${reason} for node ${name}`, e));
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

async function inBatches<T>(items: readonly T[], size: number, f: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, j) => f(item, i + j)));
}

/** `f` over `items` with at most `concurrency` in flight (a slow one does not hold up a batch). */
async function inPool<T>(items: readonly T[], concurrency: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
