// The ResizePolicy controller (design.md §2): informers on policies and workloads enqueue policy
// keys; a de-duplicating work queue runs one reconcile per policy at a time:
//   observe (caches + metrics port) → decide (pure, src/core) → persist (status, only if changed).
// Requeues: after each reconcile at the next metrics refresh; on errors with backoff; on a
// conflict (someone else wrote the policy meanwhile) at once. A periodic resync re-enqueues every
// policy, because informers deliver no resyncs of their own.
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, GROUP, PLURAL, TARGET_KINDS, VERSION, type TargetKind } from '../api/constants.ts';
import { parseResizePolicy } from '../api/resize-policy.ts';
import type { ResizePolicyStatus } from '../api/status.ts';
import { parseDuration } from '../core/duration.ts';
import { invalidSpecStatus, recommendStatus, workloadKey, type RecommendSnapshot } from '../core/recommend-status.ts';
import type { UsageAnswer } from '../core/usage.ts';
import { EventRecorder } from '../kube/events.ts';
import { resilientInformer, type InformerHealth, type ResilientInformer } from '../kube/informer.ts';
import { MetricsError } from '../metrics/source.ts';
import { WorkQueue } from '../runtime/work-queue.ts';
import { MetricsSources } from './metrics-sources.ts';
import { resolveTargets, type Workload, type WorkloadCache } from './targets.ts';
import { statusChanged } from './status-diff.ts';

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
}

type PolicyObject = KubernetesObject & { spec?: unknown; status?: ResizePolicyStatus };

export interface ControllerStats {
  reconciles: number;
  reconcileErrors: number;
  statusWrites: number;
  conflicts: number;
}

export class Controller {
  private readonly o: ControllerOptions;
  private readonly custom: CustomObjectsApi;
  private readonly sources: MetricsSources;
  private readonly events: EventRecorder;
  private readonly policies: ResilientInformer<PolicyObject>;
  private readonly workloads = new Map<TargetKind, ResilientInformer<Workload>>();
  private readonly queue: WorkQueue;
  private resync: NodeJS.Timeout | undefined;
  readonly stats: ControllerStats = { reconciles: 0, reconcileErrors: 0, statusWrites: 0, conflicts: 0 };

  constructor(o: ControllerOptions) {
    this.o = o;
    const core = o.kc.makeApiClient(CoreV1Api);
    const apps = o.kc.makeApiClient(AppsV1Api);
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
    this.events = new EventRecorder(core, 'attune', 10 * 60_000, (e) => o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not record an event'));
    this.sources = new MetricsSources(core, {
      ...(o.defaultPrometheusUrl ? { defaultUrl: o.defaultPrometheusUrl } : {}),
      ...(o.queryTimeoutMs ? { timeoutMs: o.queryTimeoutMs } : {}),
      ...(o.queryConcurrency ? { concurrency: o.queryConcurrency } : {}),
    });
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: o.workers,
      onError: (key, error, retryInMs) => o.log.warn({ policy: key, err: error instanceof Error ? error.message : String(error), retryInMs }, 'reconcile failed; retrying'),
    });

    const ns = o.namespace;
    const policyPath = ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const listPolicies = () =>
      (ns
        ? this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
        : this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as Promise<KubernetesListObject<PolicyObject>>;
    // Only a new generation (a spec change) or a new object is a reason to reconcile: updates of
    // status alone — our own writes above all — would otherwise loop (write → update → reconcile
    // → write). Periodic refreshes and resyncs cover everything else.
    const specChanged = generationFilter();
    const enqueue = (p: PolicyObject) => {
      if (specChanged(p)) this.queue.add(keyOf(p));
    };
    this.policies = resilientInformer<PolicyObject>(o.kc, 'resizepolicies', policyPath, listPolicies, {
      add: enqueue,
      update: enqueue,
      delete: (p) => {
        specChanged.forget(p);
        this.forget(p);
      },
    });

    const lists: Record<TargetKind, { path: string; list: () => Promise<KubernetesListObject<Workload>> }> = {
      Deployment: { path: 'deployments', list: () => (ns ? apps.listNamespacedDeployment({ namespace: ns }) : apps.listDeploymentForAllNamespaces()) },
      StatefulSet: { path: 'statefulsets', list: () => (ns ? apps.listNamespacedStatefulSet({ namespace: ns }) : apps.listStatefulSetForAllNamespaces()) },
      DaemonSet: { path: 'daemonsets', list: () => (ns ? apps.listNamespacedDaemonSet({ namespace: ns }) : apps.listDaemonSetForAllNamespaces()) },
      ReplicaSet: { path: 'replicasets', list: () => (ns ? apps.listNamespacedReplicaSet({ namespace: ns }) : apps.listReplicaSetForAllNamespaces()) },
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
        }),
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
    clearInterval(this.resync);
    await this.queue.shutdown();
    await Promise.all([this.policies.stop(), ...[...this.workloads.values()].map((i) => i.stop())]);
  }

  health(): InformerHealth[] {
    return [this.policies.health(), ...[...this.workloads.values()].map((i) => i.health())];
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private forget(p: PolicyObject): void {
    this.o.log.info({ policy: keyOf(p) }, 'policy deleted');
  }

  private cache(): WorkloadCache {
    return {
      get: (kind, namespace, name) => this.workloads.get(kind)!.get(name, namespace),
      list: (kind, namespace) => this.workloads.get(kind)!.list(namespace),
    };
  }

  /** observe → decide → persist, for one policy. */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    const [namespace, name] = key.split('/') as [string, string];
    const log = this.o.log.child({ policy: key, reconcile: randomBytes(4).toString('hex') });
    const policy = this.policies.get(name, namespace);
    if (!policy) return {};
    this.stats.reconciles++;
    const now = Date.now();
    const generation = policy.metadata?.generation ?? 0;
    const previous = policy.status;

    const parsed = parseResizePolicy(policy);
    if (!parsed.ok) {
      log.warn({ errors: parsed.errors }, 'invalid spec');
      await this.events.record(policy, 'Warning', 'InvalidSpec', parsed.errors.join('; '));
      await this.persist(policy, invalidSpecStatus(parsed.errors, generation, previous, now), log);
      return {};
    }
    const spec = parsed.policy.spec;

    // --- observe -------------------------------------------------------------------------------
    const target = resolveTargets(spec, namespace, this.cache());
    const usage = new Map<string, { cpu: UsageAnswer; memory: UsageAnswer }>();
    let metricsConfigError: RecommendSnapshot['metricsConfigError'];
    if (target.found) {
      const src = await this.sources.forPolicy(namespace, spec);
      if (!src.ok) metricsConfigError = { reason: src.reason, message: src.message };
      else {
        const windowMs = parseDuration(spec.metrics.historyWindow)!;
        const stepMs = parseDuration(spec.metrics.step)!;
        await Promise.all(
          target.workloads.map(async (w) => {
            const ask = async (resource: 'cpu' | 'memory'): Promise<UsageAnswer> => {
              try {
                const custom = spec.metrics.query?.[resource];
                const byContainer = await src.source.usage({ namespace, kind: w.kind, name: w.name, resource, percentile: spec[resource].percentile, windowMs, stepMs, endMs: now, ...(custom ? { custom } : {}) });
                return { ok: true, byContainer };
              } catch (e) {
                if (e instanceof MetricsError) return { ok: false, kind: e.kind, message: e.message };
                throw e;
              }
            };
            const [cpu, memory] = await Promise.all([ask('cpu'), ask('memory')]);
            usage.set(workloadKey(w), { cpu, memory });
          }),
        );
      }
    }

    // --- decide (pure) ---------------------------------------------------------------------------
    const status = recommendStatus(
      { generation, spec, target, usage, ...(metricsConfigError ? { metricsConfigError } : {}), ...(previous ? { previous } : {}), staleAfterMs: this.o.staleAfterMs },
      now,
    );

    // --- persist -----------------------------------------------------------------------------------
    await this.persist(policy, status, log);
    return { requeueAfterMs: this.o.refreshMs };
  }

  private async persist(policy: PolicyObject, status: ResizePolicyStatus, log: Logger): Promise<void> {
    if (!statusChanged(policy.status, status)) return;
    try {
      // Replace with the cached resourceVersion: a concurrent write makes this a 409, and the
      // queue's retry reconciles again from the newer object.
      await this.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace: policy.metadata!.namespace!,
        plural: PLURAL,
        name: policy.metadata!.name!,
        body: { apiVersion: API_VERSION, kind: policy.kind, metadata: policy.metadata, spec: policy.spec, status },
      });
      this.stats.statusWrites++;
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      log.info({ ready: ready?.status, reason: ready?.reason }, 'status updated');
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 409) {
        this.stats.conflicts++;
        throw new Error('conflict writing status; requeued', { cause: e });
      }
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
