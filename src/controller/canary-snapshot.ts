// Observe, for the canary decision: the targeted workloads' pods (as PodViews), the nodes they run
// on with what is allocated there, the namespace's LimitRanges and ResourceQuotas, all from the
// informer caches (plus our own latest writes), never from extra API calls.
import type { KubernetesObject, V1LimitRange, V1Node, V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import type { ResizePolicySpec } from '../api/spec.ts';
import type { ResizePolicyStatus, WorkloadStatus } from '../api/status.ts';
import { limitRangeItemsFrom, nodeViewFrom, podViewFrom, quotaViewsFrom, zoneOf, type CanarySnapshot, type NodeView, type PodView } from '../core/canary/index.ts';
import type { TargetResolution } from '../core/recommend-status.ts';

/** Read access to what the snapshot is built from. */
export interface CanaryCaches {
  /** The newest known copy of a pod (`namespace/name` key). */
  pod(key: string): V1Pod | undefined;
  /** Keys of the pods whose direct controller is `namespace/Kind/name`. */
  podsOwnedBy(ownerId: string): readonly string[];
  /** Keys of the pods bound to a node. */
  podsOnNode(node: string): readonly string[];
  node(name: string): V1Node | undefined;
  replicaSets(namespace: string): readonly KubernetesObject[];
  limitRanges(namespace: string): readonly V1LimitRange[];
  quotas(namespace: string): readonly V1ResourceQuota[];
}

export interface SnapshotInput {
  policy: { namespace: string; name: string; uid: string; generation: number; spec: ResizePolicySpec; status?: ResizePolicyStatus };
  target: TargetResolution;
  recommendations: readonly WorkloadStatus[];
  metricsAvailable: boolean;
  serverMinor: number;
  settings?: CanarySnapshot['settings'];
}

/** Keys of the pods of one workload: a Deployment's are those of the ReplicaSets it controls. */
export function podKeysOf(c: CanaryCaches, namespace: string, kind: string, name: string): string[] {
  if (kind !== 'Deployment') return [...c.podsOwnedBy(`${namespace}/${kind}/${name}`)];
  const sets = c.replicaSets(namespace).filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.controller === true && r.kind === 'Deployment' && r.name === name));
  return sets.flatMap((rs) => c.podsOwnedBy(`${namespace}/ReplicaSet/${rs.metadata?.name ?? ''}`));
}

export function buildCanarySnapshot(c: CanaryCaches, input: SnapshotInput): CanarySnapshot {
  const { namespace } = input.policy;
  const zone = (n: string) => zoneOf(c.node(n));
  const workloads: CanarySnapshot['workloads'] = (input.target.found ? input.target.workloads : []).map((w) => {
    const pods: PodView[] = [];
    for (const key of podKeysOf(c, namespace, w.kind, w.name).sort()) {
      const p = c.pod(key);
      if (p) pods.push(podViewFrom(p, zone));
    }
    return { kind: w.kind, name: w.name, pods };
  });
  const nodes: Record<string, NodeView> = {};
  for (const w of workloads) {
    for (const p of w.pods) {
      if (!p.nodeName || nodes[p.nodeName]) continue;
      const node = c.node(p.nodeName);
      if (!node) continue;
      const onNode = c.podsOnNode(p.nodeName).flatMap((k) => c.pod(k) ?? []);
      nodes[p.nodeName] = nodeViewFrom(node, onNode);
    }
  }
  return {
    policy: input.policy,
    recommendations: input.recommendations,
    workloads,
    cluster: {
      serverMinor: input.serverMinor,
      limitRanges: limitRangeItemsFrom(c.limitRanges(namespace)),
      quotas: quotaViewsFrom(c.quotas(namespace)),
      nodes,
    },
    metricsAvailable: input.metricsAvailable,
    ...(input.settings ? { settings: input.settings } : {}),
  };
}
