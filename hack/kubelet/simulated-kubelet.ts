// The simulated kubelet: our nodes, as the control plane and the operator see them through the API.
//  - registers N Nodes and heartbeats their Leases (nodes.ts);
//  - runs every pod bound to them: Running/Ready status shaped like a 1.35 kubelet's (pod-sim.ts);
//  - actuates in-place resizes with the kubelet's semantics (resize-admission.ts): Infeasible,
//    Deferred (retried when room frees), PodResizeInProgress for `resizeActuationMs`, then status
//    resources / allocatedResources / observedGeneration; a memory-limit decrease below usage fails
//    with reason Error and is retried; one pod at a time per node, decreases first;
//  - models each container's usage from its profile (hack/sim) every `tickMs` and applies the
//    consequences of the current limits: OOMKilled + restart, CFS throttling, NotReady;
//  - serves cAdvisor / kube-state-metrics series on 127.0.0.1 for Prometheus.
// Status is written only when it changed, through a bounded-concurrency flusher; it never throws
// out of an event handler: a bad pod gets a Warning event and the default profile.
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { isRunning, step, type ContainerState } from '../sim/container-model.ts';
import { renderPrometheusText, type ContainerSample } from '../sim/exposition.ts';
import { profileFromAnnotations } from '../sim/profile.ts';
import { parseQuantity } from '../sim/units.ts';
import { httpStatus, ignoreStatus, mergePatch, NodeRegistrar, type NodeShape } from './nodes.ts';
import { containerSeed, limitsOf, newPodSim, podReady, podStatus, resourceNumbers, specResources, type ContainerResources, type PodSim } from './pod-sim.ts';
import { actuationOrder, admitResize, amounts, memoryLimitDecreaseError, sum, type Amounts } from './resize-admission.ts';

export interface SimulatedKubeletOptions {
  kubeconfig: string;
  nodes: number;
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  maxPods?: number;
  /** Zones assigned round-robin as topology.kubernetes.io/zone. */
  zones?: string[];
  leaseRenewMs?: number;
  /** How often usage is modelled and its consequences applied. */
  tickMs?: number;
  /** How long an admitted resize stays PodResizeInProgress before it is applied. */
  resizeActuationMs?: number;
  /** How soon a failed (Error) resize actuation is retried. */
  resizeRetryMs?: number;
  /** How long containers take to exit after SIGTERM (capped by the pod's grace period). */
  containerStopMs?: number;
  /** Port of the metrics endpoint on 127.0.0.1 (0: a free one). */
  metricsPort?: number;
  statusWriteConcurrency?: number;
}

export interface SimulatedKubelet {
  readonly nodeNames: readonly string[];
  readonly metricsAddress: string;
  /** Live pods, for backfill and inspection. */
  pods(): readonly PodSim[];
  /** Continue each container from its backfilled state at `endMs` (key namespace/pod/container). */
  adoptHistory(states: ReadonlyMap<string, ContainerState>, endMs: number): void;
  stop(): Promise<void>;
}

interface PendingResize {
  uid: string;
  desired: Record<string, ContainerResources>;
  admittedAtMs?: number;
  delta: Amounts;
  retryAtMs?: number;
}

const SOURCE = 'kubelet';

export async function startSimulatedKubelet(opts: SimulatedKubeletOptions): Promise<SimulatedKubelet> {
  const shape: NodeShape = { cpu: opts.cpu ?? '8', memory: opts.memory ?? '32Gi', maxPods: opts.maxPods ?? 110 };
  const allocatable = amounts({ cpu: shape.cpu, memory: shape.memory });
  const tickMs = opts.tickMs ?? 1_000;
  const actuationMs = opts.resizeActuationMs ?? 500;
  const retryMs = opts.resizeRetryMs ?? 2_000;
  const stopMs = opts.containerStopMs ?? 1_000;
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const names = Array.from({ length: opts.nodes }, (_, i) => `${opts.namePrefix ?? 'node'}-${i}`);
  const mine = new Set(names);
  const registrar = new NodeRegistrar(core, kc.makeApiClient(CoordinationV1Api));
  await registrar.register(names, shape, opts.zones, opts.leaseRenewMs ?? 10_000);

  const sims = new Map<string, PodSim>(); // by uid
  const pending = new Map<string, PendingResize>(); // by uid: resize requested, not yet applied
  const busyNodes = new Set<string>();
  let stopped = false;
  const warn = (what: string, e: unknown) => {
    if (!stopped) console.error(`simulated-kubelet: ${what}: ${e instanceof Error ? e.message : String(e)}`);
  };

  // --- events ------------------------------------------------------------------------------------
  const event = (p: PodSim, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const now = new Date();
    core
      .createNamespacedEvent({
        namespace: p.namespace,
        body: {
          metadata: { name: `${p.name}.${randomBytes(8).toString('hex')}`, namespace: p.namespace },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
          reason,
          message,
          type,
          source: { component: SOURCE, host: p.node },
          reportingComponent: SOURCE,
          reportingInstance: p.node,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((e: unknown) => warn(`event ${reason} for ${p.namespace}/${p.name}`, e));
  };

  // --- status writes: coalesced, only when changed, bounded concurrency ----------------------------
  /** Digest of the last status written per pod (a digest, not the JSON: 10,000 pods add up). */
  const written = new Map<string, string>();
  const dirty = new Set<string>();
  let flushing: Promise<void> | undefined;
  const concurrency = opts.statusWriteConcurrency ?? 16;
  const flush = async () => {
    while (dirty.size > 0 && !stopped) {
      const batch = [...dirty].slice(0, concurrency);
      for (const uid of batch) dirty.delete(uid);
      await Promise.all(
        batch.map(async (uid) => {
          const p = sims.get(uid);
          if (!p) return;
          const body = podStatus(p);
          const digest = createHash('sha1').update(JSON.stringify(body)).digest('base64');
          if (written.get(uid) === digest) return;
          try {
            await core.patchNamespacedPodStatus({ name: p.name, namespace: p.namespace, body }, mergePatch);
            written.set(uid, digest);
          } catch (e) {
            if (httpStatus(e) === 404) return; // deleted meanwhile
            warn(`status of ${p.namespace}/${p.name}`, e);
            if (sims.has(uid)) setTimeout(() => markDirty(uid), 1_000);
          }
        }),
      );
    }
  };
  const markDirty = (uid: string) => {
    dirty.add(uid);
    flushing ??= new Promise<void>((r) => setImmediate(r))
      .then(flush)
      .finally(() => {
        flushing = undefined;
        if (dirty.size > 0 && !stopped) markDirty([...dirty][0]!);
      });
  };

  // --- resizes -------------------------------------------------------------------------------------
  const requestsOf = (res: Record<string, ContainerResources>) => sum(Object.values(res).map((r) => amounts(r.requests)));
  const allocatedOf = (p: PodSim) => sum(p.containers.map((c) => amounts(c.allocated)));
  const sameResources = (a: ContainerResources, b: ContainerResources) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

  /** Admission for every not-yet-admitted resize on `node`, then actuation of the admitted ones. */
  const evaluateNode = (node: string) => {
    const now = Date.now();
    const onNode = [...sims.values()].filter((p) => p.node === node);
    for (const p of onNode) {
      const r = pending.get(p.uid);
      if (!r || r.admittedAtMs !== undefined) continue;
      const others = sum(onNode.filter((o) => o.uid !== p.uid).map(allocatedOf));
      const verdict = admitResize(allocatable, others, requestsOf(r.desired));
      p.observedGeneration = p.generation;
      if (verdict.kind === 'Admit') {
        r.admittedAtMs = now;
        r.delta = { cpuMillis: requestsOf(r.desired).cpuMillis - allocatedOf(p).cpuMillis, memoryBytes: requestsOf(r.desired).memoryBytes - allocatedOf(p).memoryBytes };
        for (const c of p.containers) c.allocated = r.desired[c.name]?.requests ?? c.allocated;
        p.resize = { type: 'PodResizeInProgress', generation: p.generation, sinceMs: now };
        event(p, 'Normal', 'ResizeStarted', `Pod resize started: ${describe(r.desired)} "generation":${p.generation}`);
      } else if (p.resize?.type !== 'PodResizePending' || p.resize.reason !== verdict.kind || p.resize.message !== verdict.message) {
        p.resize = { type: 'PodResizePending', reason: verdict.kind, message: verdict.message, generation: p.generation, sinceMs: now };
        event(p, 'Warning', verdict.kind === 'Deferred' ? 'ResizeDeferred' : 'ResizeInfeasible', `Pod resize ${verdict.kind}: ${verdict.message}`);
      }
      markDirty(p.uid);
    }
    void actuate(node);
  };

  const actuate = async (node: string) => {
    if (busyNodes.has(node) || stopped) return;
    const now = Date.now();
    const ready = [...pending.values()].filter(
      (r) => r.admittedAtMs !== undefined && (r.retryAtMs ?? 0) <= now && sims.get(r.uid)?.node === node,
    ) as Array<PendingResize & { admittedAtMs: number }>;
    const next = actuationOrder(ready)[0];
    if (!next) return;
    busyNodes.add(node);
    try {
      await new Promise((r) => setTimeout(r, actuationMs));
      const p = sims.get(next.uid);
      if (!p || pending.get(next.uid) !== next) return; // gone, or superseded by a newer resize
      const error = memoryLimitDecreaseError(
        p.containers.map((c) => ({
          name: c.name,
          actualLimitBytes: parseOpt(c.actual.limits?.memory),
          desiredLimitBytes: parseOpt(next.desired[c.name]?.limits?.memory),
          workingSetBytes: c.sim.workingSetBytes,
        })),
      );
      if (error) {
        if (p.resize?.type !== 'PodResizeInProgress' || p.resize.reason !== 'Error' || p.resize.message !== error) {
          p.resize = { type: 'PodResizeInProgress', reason: 'Error', message: error, generation: p.generation, sinceMs: Date.now() };
          event(p, 'Warning', 'ResizeError', `Pod resize error: ${error}`);
        }
        next.retryAtMs = Date.now() + retryMs;
      } else {
        for (const c of p.containers) c.actual = next.desired[c.name] ?? c.actual;
        p.resize = undefined;
        pending.delete(p.uid);
        event(p, 'Normal', 'ResizeCompleted', `Pod resize completed: ${describe(next.desired)} "generation":${p.generation}`);
        // Room may have freed for a deferred resize.
        if (next.delta.cpuMillis < 0 || next.delta.memoryBytes < 0) setImmediate(() => evaluateNode(node));
      }
      markDirty(p.uid);
    } finally {
      busyNodes.delete(node);
    }
    void actuate(node);
  };

  /** A new generation of `pod`: start, change or cancel a resize. */
  const onSpec = (p: PodSim, pod: V1Pod) => {
    p.generation = pod.metadata?.generation ?? p.generation;
    const desired = Object.fromEntries(p.containers.map((c) => [c.name, specResources(pod, c.name)]));
    const unchanged = p.containers.every((c) => sameResources(desired[c.name]!, c.actual) && JSON.stringify(canon({ requests: c.allocated })) === JSON.stringify(canon({ requests: desired[c.name]!.requests })));
    const prior = pending.get(p.uid);
    if (unchanged) {
      // Back to what is applied (e.g. a revert of a deferred resize): nothing to do.
      pending.delete(p.uid);
      p.resize = undefined;
      p.observedGeneration = p.generation;
      markDirty(p.uid);
      if (prior) evaluateNode(p.node);
      return;
    }
    if (prior && Object.entries(desired).every(([n, d]) => sameResources(d, prior.desired[n] ?? {}))) return;
    // A newer desired size replaces any pending one; admission starts over from what is allocated.
    if (prior?.admittedAtMs !== undefined) for (const c of p.containers) c.allocated = c.actual.requests;
    pending.set(p.uid, { uid: p.uid, desired, delta: { cpuMillis: 0, memoryBytes: 0 } });
    evaluateNode(p.node);
  };

  // --- pods ------------------------------------------------------------------------------------------
  let ipCounter = 0;
  const nextIP = () => {
    ipCounter++;
    return `10.244.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
  };
  const forget = (uid: string, node: string) => {
    sims.delete(uid);
    pending.delete(uid);
    written.delete(uid);
    dirty.delete(uid);
    evaluateNode(node); // room freed for deferred resizes
  };
  /**
   * Graceful deletion, as a kubelet does it: the pod stops being Ready at once, its containers get
   * SIGTERM and exit after `containerStopMs` (at most the grace period), then the kubelet confirms
   * the deletion (grace period 0) and the object is removed.
   */
  const terminating = new Set<string>();
  const terminate = (pod: V1Pod, uid: string) => {
    if (terminating.has(uid)) return;
    terminating.add(uid);
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    const p = sims.get(uid);
    if (p) {
      p.terminatingSinceMs = Date.now();
      p.ready = false;
      p.readyChangedAtMs = p.terminatingSinceMs;
      markDirty(uid);
    }
    const graceMs = (pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
    setTimeout(() => {
      // With a body, the query's grace period is ignored, so it goes in the body.
      core
        .deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } })
        .catch(ignoreStatus(404, 409))
        .catch((e: unknown) => warn(`delete ${namespace}/${name}`, e))
        .finally(() => terminating.delete(uid));
    }, Math.min(graceMs, stopMs));
  };
  const onPod = (pod: V1Pod) => {
    const node = pod.spec?.nodeName;
    const { name, namespace, uid } = pod.metadata ?? {};
    if (!node || !mine.has(node) || !name || !namespace || !uid) return;
    if (pod.metadata?.deletionTimestamp) {
      terminate(pod, uid);
      return;
    }
    const existing = sims.get(uid);
    if (existing) {
      if ((pod.metadata?.generation ?? 0) > existing.generation) onSpec(existing, pod);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const parsed = profileFromAnnotations(pod.metadata?.annotations);
    const now = Date.now();
    const p = newPodSim(pod, parsed.profile, nextIP(), now);
    // A container has a working set from its first instant (the model samples demand at start).
    advance(p, now + 1);
    sims.set(uid, p);
    if (parsed.error) event(p, 'Warning', 'InvalidUsageProfile', `usage profile ignored, running with the default profile: ${parsed.error}`);
    markDirty(uid);
  };
  const informer: Informer<V1Pod> = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const safely = (f: (pod: V1Pod) => void) => (pod: V1Pod) => {
    try {
      f(pod);
    } catch (e) {
      warn(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, e);
    }
  };
  informer.on('add', safely(onPod));
  informer.on('update', safely(onPod));
  informer.on(
    'delete',
    safely((pod) => {
      const uid = pod.metadata?.uid;
      const p = uid ? sims.get(uid) : undefined;
      if (p) forget(p.uid, p.node);
    }),
  );
  // client-node informers stop on errors: restart after a pause while running.
  informer.on('error', (e: unknown) => {
    warn('pod watch', e);
    if (!stopped) setTimeout(() => void informer.start().catch((err: unknown) => warn('pod watch restart', err)), 1_000);
  });
  await informer.start();

  // --- usage model and its consequences -----------------------------------------------------------
  /** Runs the pod's usage model up to `now`; true when something the status shows changed. */
  const advance = (p: PodSim, now: number): boolean => {
    let changed = false;
    for (const c of p.containers) {
      const wasRunning = isRunning(c.sim);
      const { state, events } = step(c.sim, c.profile, limitsOf(c), containerSeed(p, c), p.steppedToMs, now);
      c.sim = state;
      for (const e of events) {
        changed = true;
        event(p, 'Warning', 'OOMKilling', `Container ${c.name} was OOM-killed (memory limit ${c.actual.limits?.memory ?? 'none'}) at ${new Date(e.atMs).toISOString()}`);
      }
      if (wasRunning !== isRunning(state)) changed = true;
    }
    p.steppedToMs = now;
    const ready = podReady(p);
    if (ready !== p.ready) {
      p.ready = ready;
      p.readyChangedAtMs = now;
      changed = true;
    }
    return changed;
  };
  const tick = () => {
    const now = Date.now();
    for (const p of sims.values()) if (advance(p, now)) markDirty(p.uid);
    // Retry failed actuations and deferred admissions.
    const nodesWithWork = new Set([...pending.values()].map((r) => sims.get(r.uid)?.node).filter((n): n is string => n !== undefined));
    for (const node of nodesWithWork) evaluateNode(node);
  };
  const ticker = setInterval(() => {
    try {
      tick();
    } catch (e) {
      warn('tick', e);
    }
  }, tickMs);

  // --- metrics ----------------------------------------------------------------------------------------
  const samples = (): ContainerSample[] =>
    [...sims.values()].flatMap((p) =>
      p.containers.map((c) => ({
        namespace: p.namespace,
        pod: p.name,
        podUid: p.uid,
        container: c.name,
        image: c.image,
        node: p.node,
        requests: resourceNumbers(c.actual.requests),
        limits: resourceNumbers(c.actual.limits),
        state: c.sim,
      })),
    );
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(renderPrometheusText(samples()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.metricsPort ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    nodeNames: names,
    metricsAddress: `127.0.0.1:${port}`,
    pods: () => [...sims.values()],
    adoptHistory(states, endMs) {
      for (const p of sims.values()) {
        let adopted = false;
        for (const c of p.containers) {
          const s = states.get(`${p.namespace}/${p.name}/${c.name}`);
          if (s) {
            c.sim = s;
            adopted = true;
          }
        }
        if (adopted) p.steppedToMs = endMs;
      }
    },
    async stop() {
      stopped = true;
      clearInterval(ticker);
      registrar.stop();
      await informer.stop();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await flushing;
    },
  };
}

function parseOpt(q: string | undefined): number | undefined {
  return q === undefined ? undefined : parseQuantity(q);
}

/** Resources with quantities compared by value ("1000m" equals "1"). */
function canon(r: ContainerResources): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const kind of ['requests', 'limits'] as const) {
    const list = r[kind];
    if (!list) continue;
    out[kind] = Object.fromEntries(Object.keys(list).sort().map((k) => [k, parseQuantity(list[k]!) ?? NaN]));
  }
  return out;
}

function describe(desired: Record<string, ContainerResources>): string {
  return JSON.stringify(Object.entries(desired).map(([name, r]) => ({ name, resources: r })));
}
