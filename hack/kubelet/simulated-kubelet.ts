// The simulated kubelet: our nodes, as the control plane and the operator see them through the API.
//  - registers N Nodes and heartbeats their Leases (nodes.ts);
//  - runs every pod bound to them: Running/Ready status shaped like a 1.35 kubelet's (pod-sim.ts);
//  - actuates in-place resizes with the kubelet's semantics (resize-admission.ts): Infeasible,
//    Deferred (retried when room frees), PodResizeInProgress for `resizeActuationMs`, then status
//    resources / allocatedResources / observedGeneration; a memory-limit decrease below usage fails
//    with reason Error and is retried; one pod at a time per node, decreases first; a test hook
//    (setAdmissionAllocatable) lowers what a node's kubelet admits against without publishing it,
//    the window in which a resize that fits the Node object is Infeasible on the kubelet;
//  - models each container's usage from its profile (hack/sim) every `tickMs` and applies the
//    consequences of the current limits: OOMKilled + restart, CFS throttling, NotReady;
//  - follows changes of a running pod's annotations: a new usage profile takes effect at once, and
//    the fault annotations (hack/sim/faults.ts) make containers crash or be OOM-killed on demand;
//    such changes, and every container exit, go to the front of the status queue;
//  - serves cAdvisor / kube-state-metrics series on 127.0.0.1 for Prometheus.
// Status is written only when it changed, through a bounded-concurrency flusher; it never throws
// out of an event handler: a bad pod gets a Warning event and the default profile.
// Like a kubelet, it is the source of truth for what it owns and puts it back when someone else
// changed it: every `nodeStatusUpdateMs` each node's status (nodes.ts: Ready=Unknown from the
// node-lifecycle controller becomes True again), every `statusSyncMs` each pod's status (the
// status manager's sync: Ready=False from the controller's MarkPodsNotReady is rewritten). Both
// compare with informer caches and write only what differs, so 10,000 pods cost a pass over a map.
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { EXIT_CODES, inject, isRunning, step, type ContainerState, type ExitEvent } from '../sim/container-model.ts';
import { renderPrometheusText, type ContainerSample } from '../sim/exposition.ts';
import { readFaults } from '../sim/faults.ts';
import { PROFILE_ANNOTATION, profileFor, profileFromAnnotations } from '../sim/profile.ts';
import { parseQuantity } from '../sim/units.ts';
import { httpStatus, ignoreStatus, NodeRegistrar, strategicMergePatch, type NodeShape } from './nodes.ts';
import {
  containerSeed,
  kubeletStatusKey,
  limitsOf,
  newPodSim,
  podReady,
  resourceNumbers,
  specResources,
  statusPatch,
  statusSyncVerdict,
  type ContainerResources,
  type PodSim,
  type WrittenStatus,
} from './pod-sim.ts';
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
  /** nodeStatusUpdateFrequency: how often each node's status is compared with the kubelet's and
   * patched if it differs (default 10 s, as a kubelet). */
  nodeStatusUpdateMs?: number;
  /** nodeStatusReportFrequency: an unchanged node status is patched anyway after this long
   * (default 5 min, as a kubelet). */
  nodeStatusReportMs?: number;
  /** The status manager's sync period: how often each pod's status in the API is compared with the
   * kubelet's and rewritten if someone else changed it (default 10 s, as a kubelet). */
  statusSyncMs?: number;
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

/** One pod status write the apiserver accepted. */
export interface StatusPublished {
  namespace: string;
  name: string;
  uid: string;
  /** The pod as the apiserver returned it: the status written, its resourceVersion. */
  pod: V1Pod;
  /** Date.now() when the response arrived: the status is visible to watchers from about then. */
  atMs: number;
}

export interface SimulatedKubelet {
  readonly nodeNames: readonly string[];
  readonly metricsAddress: string;
  /** Live pods, for backfill and inspection. */
  pods(): readonly PodSim[];
  /**
   * Calls `listener` after each accepted status write (in process: for benchmarks timing what
   * follows a status change, e.g. an OOMKilled). Returns the unsubscribe. A throwing listener is
   * logged and ignored.
   */
  onStatusPublished(listener: (w: StatusPublished) => void): () => void;
  /**
   * Test hook: what this kubelet admits resizes against on `node`, changed without publishing it
   * in the Node's status — a kubelet restarted with a larger system-reserved (or kube-reserved)
   * whose node status update has not reached the apiserver yet. The Node object, which is what
   * schedulers and operators check, still shows the registered allocatable; the kubelet's own
   * admission (`admitResize`) uses this one: a pod whose new requests exceed it is Infeasible,
   * one that fits it but not next to the other pods' allocations is Deferred. Pods already running
   * keep running (no re-admission, no eviction). `undefined` restores the registered allocatable.
   * Resizes on the node that are not admitted yet are evaluated again at once.
   */
  setAdmissionAllocatable(node: string, allocatable: { cpu: string; memory: string } | undefined): void;
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
  /** Per node: a lower allocatable the kubelet admits against, not (yet) in the node status. */
  const admissionAllocatable = new Map<string, Amounts>();
  const tickMs = opts.tickMs ?? 1_000;
  const actuationMs = opts.resizeActuationMs ?? 500;
  const retryMs = opts.resizeRetryMs ?? 2_000;
  const stopMs = opts.containerStopMs ?? 1_000;
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const names = Array.from({ length: opts.nodes }, (_, i) => `${opts.namePrefix ?? 'node'}-${i}`);
  const mine = new Set(names);
  let stopped = false;
  const warn = (what: string, e: unknown) => {
    if (!stopped) console.error(`simulated-kubelet: ${what}: ${e instanceof Error ? e.message : String(e)}`);
  };
  const registrar = new NodeRegistrar(kc, core, kc.makeApiClient(CoordinationV1Api), {
    names,
    shape,
    ...(opts.zones ? { zones: opts.zones } : {}),
    leaseRenewMs: opts.leaseRenewMs ?? 10_000,
    statusUpdateMs: opts.nodeStatusUpdateMs ?? 10_000,
    statusReportMs: opts.nodeStatusReportMs ?? 300_000,
    warn,
  });
  await registrar.register();

  const sims = new Map<string, PodSim>(); // by uid
  const pending = new Map<string, PendingResize>(); // by uid: resize requested, not yet applied
  const busyNodes = new Set<string>();

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
  /** Digest of the last status patch written per pod (a digest, not the JSON: 10,000 pods add up). */
  const written = new Map<string, string>();
  /** Per pod, the API's side of our last accepted write: its resourceVersion, and its status as the
   * status sync compares it (kubeletStatusKey). */
  const apiStatus = new Map<string, WrittenStatus>();
  /** Pods with a status patch in flight. */
  const writing = new Set<string>();
  /** Pods whose status may have changed, in order; `urgent` ones (a container exited, a test
   * changed an annotation) are written before the rest, so a queue of routine changes on a large
   * cluster does not delay what a test or benchmark is waiting for. */
  const dirty = new Set<string>();
  const urgent = new Set<string>();
  const listeners = new Set<(w: StatusPublished) => void>();
  let flushing: Promise<void> | undefined;
  const concurrency = opts.statusWriteConcurrency ?? 16;
  const nextBatch = (): string[] => {
    const batch: string[] = [];
    for (const queue of [urgent, dirty]) {
      for (const uid of queue) {
        if (batch.length >= concurrency) break;
        batch.push(uid);
      }
    }
    for (const uid of batch) {
      urgent.delete(uid);
      dirty.delete(uid);
    }
    return batch;
  };
  const published = (p: PodSim, pod: V1Pod, atMs: number) => {
    for (const l of listeners) {
      try {
        l({ namespace: p.namespace, name: p.name, uid: p.uid, pod, atMs });
      } catch (e) {
        warn('status listener', e);
      }
    }
  };
  const flush = async () => {
    while (dirty.size + urgent.size > 0 && !stopped) {
      const batch = nextBatch();
      await Promise.all(
        batch.map(async (uid) => {
          const p = sims.get(uid);
          if (!p) return;
          const body = statusPatch(p);
          const digest = createHash('sha1').update(JSON.stringify(body)).digest('base64');
          if (written.get(uid) === digest) return;
          writing.add(uid);
          try {
            const pod = await core.patchNamespacedPodStatus({ name: p.name, namespace: p.namespace, body }, strategicMergePatch);
            written.set(uid, digest);
            if (sims.has(uid)) apiStatus.set(uid, { resourceVersion: pod.metadata?.resourceVersion, key: kubeletStatusKey(pod.status) });
            if (listeners.size > 0) published(p, pod, Date.now());
          } catch (e) {
            if (httpStatus(e) === 404) return; // deleted meanwhile
            warn(`status of ${p.namespace}/${p.name}`, e);
            if (sims.has(uid)) setTimeout(() => markDirty(uid), 1_000);
          } finally {
            writing.delete(uid);
          }
        }),
      );
    }
  };
  const markDirty = (uid: string, isUrgent = false) => {
    (isUrgent ? urgent : dirty).add(uid);
    flushing ??= new Promise<void>((r) => setImmediate(r))
      .then(flush)
      .finally(() => {
        flushing = undefined;
        const left = urgent.values().next().value ?? dirty.values().next().value;
        if (left !== undefined && !stopped) markDirty(left, urgent.has(left));
      });
  };

  /**
   * The status manager's periodic sync (syncBatch with all=true → needsReconcile): a pod whose
   * status in the API differs from what the kubelet last wrote, as the kubelet compares statuses
   * (its own conditions by type, status, reason and message; the rest whole), is written again —
   * e.g. Ready=False that the node-lifecycle controller set while the node looked unreachable. The
   * API side is the pod informer's cache: no GET per pod. Most pods are skipped on one string
   * comparison (the cache holds exactly the object our last write returned); a pod changed by
   * someone since (annotations, a resize, a status) costs one key. Skipped: pods with a write queued
   * or in flight (it rewrites them anyway), pods the watch has not caught up with since our write.
   */
  const syncStatuses = () => {
    for (const p of sims.values()) {
      const api = apiStatus.get(p.uid);
      if (!api || dirty.has(p.uid) || urgent.has(p.uid) || writing.has(p.uid)) continue;
      const cached = informer.get(p.name, p.namespace);
      const verdict = statusSyncVerdict(api, cached, p.uid);
      if (verdict === 'status-same') api.resourceVersion = cached!.metadata!.resourceVersion; // the fast path next time
      if (verdict !== 'differs') continue;
      written.delete(p.uid); // our model did not change: write it although it was written before
      markDirty(p.uid);
    }
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
      const verdict = admitResize(admissionAllocatable.get(node) ?? allocatable, others, requestsOf(r.desired));
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
    apiStatus.delete(uid);
    dirty.delete(uid);
    urgent.delete(uid);
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
      onAnnotations(existing, pod.metadata?.annotations);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const annotations = pod.metadata?.annotations;
    const parsed = profileFromAnnotations(annotations);
    const now = Date.now();
    const p = newPodSim(pod, parsed.profile, nextIP(), now);
    sims.set(uid, p);
    // A container has a working set from its first instant (the model samples demand at start).
    advance(p, now + 1);
    if (parsed.error) event(p, 'Warning', 'InvalidUsageProfile', `usage profile ignored, running with the default profile: ${parsed.error}`);
    for (const error of readFaults(undefined, annotations, p.containers.map((c) => c.name)).errors) event(p, 'Warning', 'InvalidFaultInjection', error);
    markDirty(uid);
  };
  /**
   * A running pod's annotations, on every update (most are our own status writes: two string
   * comparisons). A changed usage profile replaces the containers' profiles from now on — the model
   * runs the old one up to now, then the new one, so counters, restarts and start times carry on; an
   * invalid one is reported and the old one kept. New fault tokens queue exits. Either way the
   * model is then stepped at once, so an injected exit, a memory demand now above the limit
   * (OOMKilled) or a throttled ratio now above the readiness threshold is in the next status write.
   */
  const onAnnotations = (p: PodSim, annotations: Record<string, string> | undefined) => {
    const profileText = annotations?.[PROFILE_ANNOTATION];
    const faults = readFaults(p.faults, annotations, p.containers.map((c) => c.name));
    if (profileText === p.profileAnnotation && faults.memory === p.faults) return;
    const now = Date.now();
    advance(p, now);
    if (profileText !== p.profileAnnotation) {
      p.profileAnnotation = profileText;
      const parsed = profileFromAnnotations(annotations);
      if (parsed.error) event(p, 'Warning', 'InvalidUsageProfile', `usage profile change ignored, keeping the previous profile: ${parsed.error}`);
      else for (const c of p.containers) c.profile = profileFor(parsed.profile, c.name); // absent: the default
    }
    p.faults = faults.memory;
    for (const error of faults.errors) event(p, 'Warning', 'InvalidFaultInjection', error);
    for (const f of faults.inject) {
      const c = p.containers.find((x) => x.name === f.container)!;
      c.sim = inject(c.sim, f.reason);
      event(p, 'Normal', 'FaultInjected', `${f.annotation} ${f.token}: container ${f.container} exits with ${f.reason} (code ${EXIT_CODES[f.reason]}) ${isRunning(c.sim) ? 'now' : 'as soon as it runs again'}`);
    }
    advance(p, now + 1, true);
  };
  const informer: Informer<V1Pod> & ObjectCache<V1Pod> = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
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
  /** The events a kubelet emits when a container exits; times in ms (the status has seconds only). */
  const exitEvent = (p: PodSim, c: PodSim['containers'][number], e: ExitEvent) => {
    const at = new Date(e.atMs).toISOString();
    if (e.type === 'OOMKilled') {
      event(p, 'Warning', 'OOMKilling', `Container ${c.name} was OOM-killed (memory limit ${c.actual.limits?.memory ?? 'none'}) at ${at}${e.injected ? ' (injected)' : ''}`);
    } else {
      event(p, 'Warning', 'BackOff', `Container ${c.name} exited with code ${EXIT_CODES[e.type]} (${e.type}) at ${at}${e.injected ? ' (injected)' : ''}; back-off restarting failed container ${c.name} in pod ${p.name}_${p.namespace}(${p.uid})`);
    }
  };
  /**
   * Runs the pod's usage model up to `now` (never backwards; a zero-length step still applies
   * injected exits) and queues a status write when something the status shows changed — at the
   * front of the queue when a container exited or `isUrgent`.
   */
  const advance = (p: PodSim, now: number, isUrgent = false) => {
    const to = Math.max(now, p.steppedToMs);
    let changed = false;
    let exited = false;
    for (const c of p.containers) {
      const wasRunning = isRunning(c.sim);
      const { state, events } = step(c.sim, c.profile, limitsOf(c), containerSeed(p, c), p.steppedToMs, to);
      c.sim = state;
      for (const e of events) exitEvent(p, c, e);
      if (events.length > 0) exited = true;
      if (wasRunning !== isRunning(state)) changed = true;
    }
    p.steppedToMs = to;
    const ready = podReady(p);
    if (ready !== p.ready) {
      p.ready = ready;
      p.readyChangedAtMs = to;
      changed = true;
    }
    if (changed || exited || isUrgent) markDirty(p.uid, exited || isUrgent);
  };
  const tick = () => {
    const now = Date.now();
    for (const p of sims.values()) advance(p, now);
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
  const statusSyncer = setInterval(() => {
    try {
      syncStatuses();
    } catch (e) {
      warn('status sync', e);
    }
  }, opts.statusSyncMs ?? 10_000);

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
    onStatusPublished(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setAdmissionAllocatable(node, to) {
      if (!mine.has(node)) throw new Error(`setAdmissionAllocatable: ${node} is not a node of this kubelet (${names.join(', ')})`);
      if (to === undefined) admissionAllocatable.delete(node);
      else {
        for (const [k, q] of Object.entries(to)) if (parseQuantity(q) === undefined) throw new Error(`setAdmissionAllocatable: invalid ${k} quantity ${JSON.stringify(q)}`);
        admissionAllocatable.set(node, amounts(to));
      }
      evaluateNode(node);
    },
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
      clearInterval(statusSyncer);
      await registrar.stop();
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
