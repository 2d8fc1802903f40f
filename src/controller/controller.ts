// The ResizePolicy controller (design.md §2). Informers on policies, workloads and — once a policy
// is in Canary or Auto mode — pods, nodes, LimitRanges and ResourceQuotas feed a de-duplicating
// work queue; one reconcile per policy at a time:
//   observe (caches + the last recommendation) → decide (pure: recommendStatus, decideCanary)
//   → act (reverts, adoptions, resizes; record before resize) → persist (status, only if changed).
// A pod event of a targeted workload enqueues its policies at once: the safety monitor is driven
// by watch events, not by a timer, and never waits for Prometheus (recommendations.ts).
// Requeues: at the next thing the decision is waiting for (observation end, cooldown, a grace or
// deadline, the next metrics refresh); on errors with backoff. A periodic resync re-enqueues every
// policy, because informers deliver no resyncs of their own.
import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1LimitRange,
  type V1Node,
  type V1Pod,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, TARGET_KINDS, VERSION, type TargetKind } from '../api/constants.ts';
import { parseResizePolicy } from '../api/resize-policy.ts';
import type { ResizePolicyStatus } from '../api/status.ts';
import { decideCanary, dropActions, limitResizes, resizingCondition, settle, type PlanEvent } from '../core/canary/index.ts';
import { invalidSpecStatus } from '../core/recommend-status.ts';
import { EventRecorder } from '../kube/events.ts';
import { resilientInformer, type InformerHealth, type ListFn, type ResilientInformer } from '../kube/informer.ts';
import { slimNode, slimPod, slimWorkload } from '../kube/slim.ts';
import { PodResizer } from '../kube/pod-resizer.ts';
import { forEachLimited } from '../runtime/pool.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import { carryOut } from './canary-actor.ts';
import { buildCanarySnapshot, type CanaryCaches } from './canary-snapshot.ts';
import { MetricsSources } from './metrics-sources.ts';
import { PodIndex, podKey, workloadIdOf } from './pod-index.ts';
import { ReadYourWrites } from './read-your-writes.ts';
import { Recommendations } from './recommendations.ts';
import { resolveTargets, type Workload, type WorkloadCache } from './targets.ts';
import { mergePatchFrom, statusChanged } from './status-diff.ts';

export interface ControllerOptions {
  kc: KubeConfig;
  log: Logger;
  /** Prometheus used by policies without spec.metrics.prometheus. */
  defaultPrometheusUrl?: string;
  /** How often recommendations are recomputed. */
  refreshMs: number;
  /** A recommendation that could not be refreshed for longer is marked stale. */
  staleAfterMs: number;
  resyncMs: number;
  workers: number;
  queryTimeoutMs?: number;
  queryConcurrency?: number;
  /** Limit to one namespace (default: all). */
  namespace?: string;
  /** At most this many pod resizes per reconcile; the rest follows at once in the next (default 50). */
  maxResizesPerPass?: number;
  /** Pod writes in flight at once within one reconcile (default 10). */
  podWriteConcurrency?: number;
  /** A resize neither applied by the kubelet nor pending for longer, or Deferred for longer, fails (default 5 min). */
  resizeTimeoutMs?: number;
}

type PolicyObject = KubernetesObject & { spec?: unknown; status?: ResizePolicyStatus };

export interface ControllerStats {
  reconciles: number;
  reconcileErrors: number;
  statusWrites: number;
  conflicts: number;
  /** pods/resize requests for a new size that the apiserver accepted. */
  resizesRequested: number;
  /** pods/resize requests restoring originals that the apiserver accepted. */
  revertsRequested: number;
  /** Resizes and reverts the apiserver refused. */
  podWriteFailures: number;
  /** Every request sent to change a pod (record, resize, revert, adoption). */
  podRequests: number;
  eventsRecorded: number;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const ACTIVE_MODES: ReadonlySet<unknown> = new Set(['Canary', 'Auto']);
const modeOf = (p: PolicyObject): unknown => (p.spec as { updateStrategy?: { type?: unknown } } | undefined)?.updateStrategy?.type;

export class Controller {
  private readonly o: ControllerOptions;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly recommendations: Recommendations;
  private readonly events: EventRecorder;
  private readonly resizer: PodResizer;
  private readonly policies: ResilientInformer<PolicyObject>;
  private readonly workloads = new Map<TargetKind, ResilientInformer<Workload>>();
  private readonly queue: WorkQueue;
  private readonly policyWrites = new ReadYourWrites<PolicyObject>();
  private readonly podWrites = new ReadYourWrites<V1Pod>();
  private readonly podIndex = new PodIndex();
  /** Policy key → ids (`namespace/Kind/name`) of the workloads it targeted at its last reconcile, and the reverse. */
  private readonly targetsOf = new Map<string, Set<string>>();
  private readonly policiesOf = new Map<string, Set<string>>();
  private canary: { pods: ResilientInformer<V1Pod>; nodes: ResilientInformer<V1Node>; limitRanges: ResilientInformer<V1LimitRange>; quotas: ResilientInformer<V1ResourceQuota> } | undefined;
  private canaryStarting: Promise<void> | undefined;
  private serverMinor: number | undefined;
  private resync: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly stats: ControllerStats = { reconciles: 0, reconcileErrors: 0, statusWrites: 0, conflicts: 0, resizesRequested: 0, revertsRequested: 0, podWriteFailures: 0, podRequests: 0, eventsRecorded: 0 };

  constructor(o: ControllerOptions) {
    this.o = o;
    this.core = o.kc.makeApiClient(CoreV1Api);
    const apps = o.kc.makeApiClient(AppsV1Api);
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
    this.resizer = new PodResizer(this.core);
    this.events = new EventRecorder(this.core, 'attune', 10 * 60_000, (e) => o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not record an event'));
    const sources = new MetricsSources(this.core, {
      ...(o.defaultPrometheusUrl ? { defaultUrl: o.defaultPrometheusUrl } : {}),
      ...(o.queryTimeoutMs ? { timeoutMs: o.queryTimeoutMs } : {}),
      ...(o.queryConcurrency ? { concurrency: o.queryConcurrency } : {}),
    });
    this.recommendations = new Recommendations(sources, o.staleAfterMs);
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: o.workers,
      onError: (key, error, retryInMs) => {
        this.stats.reconcileErrors++;
        o.log.warn({ policy: key, err: error instanceof Error ? error.message : String(error), retryInMs }, 'reconcile failed; retrying');
      },
    });

    const ns = o.namespace;
    const policyPath = ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const listPolicies: ListFn<PolicyObject> = (p) =>
      (ns
        ? this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, ...p })
        : this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, ...p })) as Promise<KubernetesListObject<PolicyObject>>;
    // Only a new generation (a spec change) or a new object is a reason to reconcile: updates of
    // status alone — our own writes above all — would otherwise loop (write → update → reconcile
    // → write). Periodic refreshes, pod events and resyncs cover everything else.
    const specChanged = generationFilter();
    const enqueue = (p: PolicyObject) => {
      if (specChanged(p)) this.queue.add(keyOf(p));
    };
    this.policies = resilientInformer<PolicyObject>(o.kc, 'resizepolicies', policyPath, listPolicies, {
      add: enqueue,
      update: enqueue,
      delete: (p) => {
        specChanged.forget(p);
        this.forget(keyOf(p));
      },
    });

    const lists: Record<TargetKind, { path: string; list: ListFn<Workload> }> = {
      Deployment: { path: 'deployments', list: (p) => (ns ? apps.listNamespacedDeployment({ namespace: ns, ...p }) : apps.listDeploymentForAllNamespaces(p)) },
      StatefulSet: { path: 'statefulsets', list: (p) => (ns ? apps.listNamespacedStatefulSet({ namespace: ns, ...p }) : apps.listStatefulSetForAllNamespaces(p)) },
      DaemonSet: { path: 'daemonsets', list: (p) => (ns ? apps.listNamespacedDaemonSet({ namespace: ns, ...p }) : apps.listDaemonSetForAllNamespaces(p)) },
      ReplicaSet: { path: 'replicasets', list: (p) => (ns ? apps.listNamespacedReplicaSet({ namespace: ns, ...p }) : apps.listReplicaSetForAllNamespaces(p)) },
    };
    for (const kind of TARGET_KINDS) {
      const { path, list } = lists[kind];
      // A workload's spec change may change a recommendation's starting point: look again at the
      // policies of its namespace (a key per policy, de-duplicated by the queue). Status updates
      // of workloads (replica counts during rollouts) are not a reason.
      const workloadChanged = generationFilter();
      const touched = (w: Workload) => {
        for (const p of this.policies.list(w.metadata?.namespace)) this.queue.add(keyOf(p));
      };
      this.workloads.set(
        kind,
        resilientInformer<Workload>(o.kc, path, ns ? `/apis/apps/v1/namespaces/${ns}/${path}` : `/apis/apps/v1/${path}`, list, {
          add: (w) => workloadChanged(w) && touched(w),
          update: (w) => workloadChanged(w) && touched(w),
          delete: (w) => {
            workloadChanged.forget(w);
            touched(w);
          },
        }, { transform: (w) => slimWorkload(w) }),
      );
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.workloads.values()].map((i) => i.start()));
    await this.policies.start();
    this.resync = setInterval(() => {
      for (const p of this.policies.list()) this.queue.add(keyOf(p));
    }, this.o.resyncMs);
    this.resync.unref();
    this.o.log.info({ policies: this.policies.list().length }, 'controller started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    await this.queue.shutdown();
    const c = this.canary;
    await Promise.all([this.policies.stop(), ...[...this.workloads.values()].map((i) => i.stop()), ...(c ? [c.pods.stop(), c.nodes.stop(), c.limitRanges.stop(), c.quotas.stop()] : [])]);
  }

  health(): InformerHealth[] {
    const c = this.canary;
    return [this.policies.health(), ...[...this.workloads.values()].map((i) => i.health()), ...(c ? [c.pods.health(), c.nodes.health(), c.limitRanges.health(), c.quotas.health()] : [])];
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private forget(key: string): void {
    this.policyWrites.forget(key);
    this.recommendations.forget(key);
    this.setTargets(key, []);
    this.o.log.info({ policy: key }, 'policy deleted');
  }

  private setTargets(key: string, ids: readonly string[]): void {
    for (const id of this.targetsOf.get(key) ?? []) {
      const s = this.policiesOf.get(id);
      s?.delete(key);
      if (s && s.size === 0) this.policiesOf.delete(id);
    }
    if (ids.length === 0) {
      this.targetsOf.delete(key);
      return;
    }
    this.targetsOf.set(key, new Set(ids));
    for (const id of ids) {
      let s = this.policiesOf.get(id);
      if (!s) this.policiesOf.set(id, (s = new Set()));
      s.add(key);
    }
  }

  private cache(): WorkloadCache {
    return {
      get: (kind, namespace, name) => this.workloads.get(kind)!.get(name, namespace),
      list: (kind, namespace) => this.workloads.get(kind)!.list(namespace),
    };
  }

  /** A pod of a targeted workload changed: decide again at once for the policies in Canary or Auto mode that target it. */
  private podEvent(pod: V1Pod): void {
    const id = workloadIdOf(pod, (namespace, name) => this.workloads.get('ReplicaSet')!.get(name, namespace));
    if (!id) return;
    for (const key of this.policiesOf.get(id) ?? []) {
      const [namespace, name] = key.split('/') as [string, string];
      const p = this.policies.get(name, namespace);
      if (p && ACTIVE_MODES.has(modeOf(p))) this.queue.add(key);
    }
  }

  /**
   * The caches only Canary and Auto need (pods, nodes, LimitRanges, ResourceQuotas), started when
   * the first such policy is reconciled: an operator that only recommends does not hold every pod
   * of the cluster in memory.
   */
  private ensureCanaryCaches(): Promise<void> {
    this.canaryStarting ??= this.startCanaryCaches().catch((e: unknown) => {
      this.canaryStarting = undefined;
      throw e;
    });
    return this.canaryStarting;
  }

  private async startCanaryCaches(): Promise<void> {
    const ns = this.o.namespace;
    const core = this.core;
    const version = await this.o.kc.makeApiClient(VersionApi).getCode();
    const minor = Number.parseInt(version.minor.replace(/\D+$/, ''), 10);
    if (!Number.isFinite(minor)) throw new Error(`cannot read the apiserver's minor version from ${JSON.stringify(version.minor)}`);
    this.serverMinor = minor;
    const at = (path: string) => (ns ? `/api/v1/namespaces/${ns}/${path}` : `/api/v1/${path}`);
    const pods = resilientInformer<V1Pod>(this.o.kc, 'pods', at('pods'), (p) => (ns ? core.listNamespacedPod({ namespace: ns, ...p }) : core.listPodForAllNamespaces(p)), {
      add: (p) => {
        this.podIndex.upsert(p);
        this.podEvent(p);
      },
      update: (p) => {
        this.podIndex.upsert(p);
        this.podEvent(p);
      },
      delete: (p) => {
        this.podIndex.delete(p);
        this.podWrites.forget(podKey(p));
        this.podEvent(p);
      },
    }, { transform: (p) => slimPod(p) as V1Pod });
    const nodes = resilientInformer<V1Node>(this.o.kc, 'nodes', '/api/v1/nodes', (p) => core.listNode(p), {}, { transform: (n) => slimNode(n) });
    const limitRanges = resilientInformer<V1LimitRange>(this.o.kc, 'limitranges', at('limitranges'), (p) => (ns ? core.listNamespacedLimitRange({ namespace: ns, ...p }) : core.listLimitRangeForAllNamespaces(p)), {});
    const quotas = resilientInformer<V1ResourceQuota>(this.o.kc, 'resourcequotas', at('resourcequotas'), (p) => (ns ? core.listNamespacedResourceQuota({ namespace: ns, ...p }) : core.listResourceQuotaForAllNamespaces(p)), {});
    await Promise.all([pods.start(), nodes.start(), limitRanges.start(), quotas.start()]);
    if (this.stopped) {
      await Promise.all([pods.stop(), nodes.stop(), limitRanges.stop(), quotas.stop()]);
      return;
    }
    this.canary = { pods, nodes, limitRanges, quotas };
    this.o.log.info({ serverMinor: minor, pods: pods.list().length, nodes: nodes.list().length }, 'canary caches started');
  }

  private canaryCaches(): CanaryCaches {
    const c = this.canary!;
    const rs = this.workloads.get('ReplicaSet')!;
    return {
      pod: (key) => {
        const [namespace, name] = key.split('/') as [string, string];
        return this.podWrites.pick(key, c.pods.get(name, namespace));
      },
      podsOwnedBy: (id) => this.podIndex.ownedBy(id),
      podsOnNode: (node) => this.podIndex.onNode(node),
      node: (name) => c.nodes.get(name),
      replicaSets: (namespace) => rs.list(namespace),
      limitRanges: (namespace) => c.limitRanges.list(namespace),
      quotas: (namespace) => c.quotas.list(namespace),
    };
  }

  /** observe → decide → act → persist, for one policy. */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    const [namespace, name] = key.split('/') as [string, string];
    const log = this.o.log.child({ policy: key, reconcile: randomBytes(4).toString('hex') });
    const policy = this.policyWrites.pick(key, this.policies.get(name, namespace));
    if (!policy) return {};
    this.stats.reconciles++;
    const now = Date.now();
    const generation = policy.metadata?.generation ?? 0;
    const previous = policy.status;

    const parsed = parseResizePolicy(policy);
    if (!parsed.ok) {
      log.warn({ errors: parsed.errors }, 'invalid spec');
      this.setTargets(key, []);
      await this.events.record(policy, 'Warning', 'InvalidSpec', parsed.errors.join('; '));
      await this.persist(key, policy, invalidSpecStatus(parsed.errors, generation, previous, now), log);
      return {};
    }
    const spec = parsed.policy.spec;
    const mode = spec.updateStrategy.type;

    // --- observe -------------------------------------------------------------------------------
    const target = resolveTargets(spec, namespace, this.cache());
    this.setTargets(key, target.found ? target.workloads.map((w) => `${namespace}/${w.kind}/${w.name}`) : []);
    const refreshIn = { key, namespace, generation, spec, target, previous };
    const rec = await this.recommendations.current(refreshIn);
    if (this.recommendations.due(key, this.o.refreshMs, now)) {
      // Refresh in the background; this reconcile (maybe a pod event's) goes on with what it has.
      void this.recommendations.refresh(refreshIn).then(
        () => this.queue.add(key),
        (e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'recommendation refresh failed'),
      );
    }
    const metricsAvailable = rec.status.conditions?.find((c) => c.type === 'MetricsAvailable')?.status === 'True';

    // --- decide, act ---------------------------------------------------------------------------
    const prevHistory = previous?.resizeHistory ?? [];
    let canaryPart: Pick<ResizePolicyStatus, 'canary' | 'resizeHistory'> = { ...(previous?.resizeHistory ? { resizeHistory: previous.resizeHistory } : {}) };
    let resizing = resizingCondition({ mode: 'Recommend', outcome: { state: 'idle', message: 'Recommend mode: recommendations are published only; pods keep the resources they have' } }, previous?.conditions, generation, now);
    let requeueAfterMs: number | undefined;
    if (mode !== 'Recommend') {
      await this.ensureCanaryCaches();
      const snapshot = buildCanarySnapshot(this.canaryCaches(), {
        policy: { namespace, name, uid: policy.metadata?.uid ?? '', generation, spec, ...(previous ? { status: previous } : {}) },
        target,
        recommendations: rec.status.workloads ?? [],
        metricsAvailable,
        serverMinor: this.serverMinor!,
        ...(this.o.resizeTimeoutMs ? { settings: { deferredTimeoutMs: this.o.resizeTimeoutMs, inProgressTimeoutMs: this.o.resizeTimeoutMs } } : {}),
      });
      // The decision's clock is read after every await above (a Prometheus read, the caches'
      // first list): the cycle start and each pod's baseline must not predate the resize, or
      // the observation would be shorter than observationPeriod.
      const decidedAt = Date.now();
      const decided = limitResizes(decideCanary(snapshot, decidedAt), this.o.maxResizesPerPass ?? 50, prevHistory);
      const acted = await carryOut(decided, {
        pod: (podName) => this.canaryCaches().pod(`${namespace}/${podName}`),
        resizer: this.resizer,
        concurrency: this.o.podWriteConcurrency ?? 10,
        log,
      });
      for (const p of acted.written) this.podWrites.remember(podKey(p), slimPod(p) as V1Pod);
      const plan = dropActions(decided, acted.dropped, prevHistory);
      const settled = settle(plan, prevHistory, acted.failures);
      this.stats.podRequests += acted.requests;
      this.stats.resizesRequested += plan.resize.length - acted.failures.resize.size;
      this.stats.revertsRequested += plan.revert.length - acted.failures.revert.size;
      this.stats.podWriteFailures += acted.failures.resize.size + acted.failures.revert.size;
      if (plan.resize.length || plan.revert.length || plan.annotate.length || plan.skip.length)
        log.info({ outcome: plan.outcome.state, resized: plan.resize.length, reverted: plan.revert.length, adopted: plan.annotate.length, skipped: plan.skip.length, skips: plan.skip.slice(0, 5).map((k) => `${k.pod}: ${k.reason}: ${k.message}`), dropped: acted.dropped.resize.size + acted.dropped.revert.size }, plan.outcome.message);
      await this.recordEvents(policy, settled.events);
      canaryPart = { ...(plan.canary ? { canary: plan.canary } : {}), ...(settled.resizeHistory.length ? { resizeHistory: settled.resizeHistory } : {}) };
      resizing = resizingCondition(plan, previous?.conditions, generation, decidedAt);
      requeueAfterMs = plan.requeueAfterMs;
      // A decision made on an old picture, or a revert the apiserver refused: look again soon.
      if (acted.dropped.resize.size || acted.dropped.revert.size || acted.failures.revert.size) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, 1_000);
    }

    // --- persist -----------------------------------------------------------------------------------
    const status: ResizePolicyStatus = { ...rec.status, ...canaryPart, conditions: [...(rec.status.conditions ?? []), resizing] };
    await this.persist(key, policy, status, log);
    // The next refresh: a background refresh in flight enqueues the policy itself when it lands.
    const age = this.recommendations.age(key, Date.now()) ?? 0;
    const untilRefresh = age >= this.o.refreshMs ? this.o.refreshMs : this.o.refreshMs - age;
    return { requeueAfterMs: Math.min(requeueAfterMs ?? Infinity, untilRefresh) };
  }

  /** Events of a decision: about a pod on the pod (kubectl describe pod), the rest on the policy. */
  private async recordEvents(policy: PolicyObject, events: readonly PlanEvent[]): Promise<void> {
    const ns = policy.metadata?.namespace ?? '';
    const policyKey = keyOf(policy);
    await forEachLimited(events, 5, async (e) => {
      const pod = e.pod ? this.canaryCaches().pod(`${ns}/${e.pod}`) : undefined;
      const about: KubernetesObject = pod
        ? { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name ?? '', namespace: ns, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) } }
        : policy;
      if (await this.events.record(about, e.type, e.reason, pod ? `${e.message} (ResizePolicy ${policyKey})` : e.message)) this.stats.eventsRecorded++;
    });
  }

  /**
   * Writes the status when it changed: a JSON merge patch of the status subresource (top-level
   * fields that went away are removed, at every level). attune is the only writer of this status, so there is no
   * precondition; the answer is remembered so the next reconcile reads its own write.
   */
  private async persist(key: string, policy: PolicyObject, status: ResizePolicyStatus, log: Logger): Promise<void> {
    if (!statusChanged(policy.status, status)) return;
    try {
      const written = (await this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: policy.metadata!.namespace!, plural: PLURAL, name: policy.metadata!.name!, body: { status: mergePatchFrom(policy.status, status) } },
        mergePatch,
      )) as PolicyObject;
      this.policyWrites.remember(key, written);
      this.stats.statusWrites++;
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      log.debug({ ready: ready?.status, reason: ready?.reason }, 'status updated');
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) return; // deleted meanwhile
      if (code === 422) {
        // The apiserver refuses any write to this object: its stored spec breaks the current
        // schema (written under an older one). Retrying cannot help until the spec changes, which
        // the informer reports; say so where users look instead.
        const message = String((e as { body?: unknown }).body ?? e).slice(0, 600);
        log.warn({ err: message }, 'status cannot be written: the stored object breaks the current schema');
        await this.events.record(policy, 'Warning', 'StatusRejected', `status cannot be written until the spec is fixed: ${message}`);
        return;
      }
      throw e;
    }
  }
}

export const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** True the first time an object is seen and whenever its metadata.generation changes. */
export function generationFilter(): ((o: KubernetesObject) => boolean) & { forget(o: KubernetesObject): void } {
  const seen = new Map<string, number | undefined>();
  const f = (o: KubernetesObject) => {
    const key = `${o.metadata?.uid ?? keyOf(o)}`;
    const gen = o.metadata?.generation;
    if (seen.has(key) && seen.get(key) === gen) return false;
    seen.set(key, gen);
    return true;
  };
  f.forget = (o: KubernetesObject) => void seen.delete(`${o.metadata?.uid ?? keyOf(o)}`);
  return f;
}
