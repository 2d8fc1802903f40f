// Which workloads a policy targets, from the informer caches: its targetRef, or every workload of
// the namespace matching its selector. ReplicaSets owned by a Deployment are the Deployment's
// business and are never targeted through a selector (they would be counted twice).
import type { KubernetesObject, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ResizePolicySpec } from '../api/spec.ts';
import { TARGET_KINDS, type TargetKind } from '../api/constants.ts';
import type { TargetResolution, WorkloadTemplate } from '../core/recommend-status.ts';
import { matchesSelector } from '../core/selector.ts';

export type Workload = KubernetesObject & { spec?: { template?: V1PodTemplateSpec } };

/** Read access to the cached workloads of each kind. */
export interface WorkloadCache {
  get(kind: TargetKind, namespace: string, name: string): Workload | undefined;
  list(kind: TargetKind, namespace: string): readonly Workload[];
}

export function templateOf(kind: TargetKind, w: Workload): WorkloadTemplate {
  return {
    kind,
    name: w.metadata?.name ?? '',
    containers: (w.spec?.template?.spec?.containers ?? []).map((c) => ({
      name: c.name,
      ...(c.resources?.requests ? { requests: c.resources.requests } : {}),
      ...(c.resources?.limits ? { limits: c.resources.limits } : {}),
    })),
  };
}

export function resolveTargets(spec: ResizePolicySpec, namespace: string, cache: WorkloadCache): TargetResolution {
  if (spec.targetRef) {
    const { kind, name } = spec.targetRef;
    const w = cache.get(kind, namespace, name);
    return w
      ? { found: true, workloads: [templateOf(kind, w)] }
      : { found: false, reason: 'TargetNotFound', message: `${kind} ${namespace}/${name} does not exist` };
  }
  const selector = spec.selector ?? {};
  const workloads: WorkloadTemplate[] = [];
  for (const kind of TARGET_KINDS) {
    for (const w of cache.list(kind, namespace)) {
      if (kind === 'ReplicaSet' && w.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment')) continue;
      if (matchesSelector(selector, w.metadata?.labels)) workloads.push(templateOf(kind, w));
    }
  }
  workloads.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return workloads.length
    ? { found: true, workloads }
    : { found: false, reason: 'NoMatchingWorkloads', message: `no workload in namespace ${namespace} matches spec.selector` };
}
