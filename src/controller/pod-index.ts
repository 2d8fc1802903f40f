// Indexes over the pod cache, kept up to date by the pod informer's events: pods by their direct
// controller (ReplicaSet, StatefulSet, DaemonSet) and pods by node. A Deployment's pods are the
// pods of the ReplicaSets it owns, looked up through the ReplicaSet cache when asked, so the index
// never depends on which cache filled first.
import type { KubernetesObject } from '@kubernetes/client-node';

type Pod = KubernetesObject & { spec?: { nodeName?: string } };

export const podKey = (p: KubernetesObject): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

/** `namespace/Kind/name` of the pod's controller, when it is an apps/v1 controller. */
export function directOwnerId(p: KubernetesObject): string | undefined {
  const ref = p.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref || ref.apiVersion !== 'apps/v1') return undefined;
  return `${p.metadata?.namespace ?? ''}/${ref.kind}/${ref.name}`;
}

export class PodIndex {
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();
  /** What each pod was indexed under, to move it when that changes. */
  private readonly placed = new Map<string, { owner?: string; node?: string }>();

  upsert(p: Pod): void {
    const key = podKey(p);
    const owner = directOwnerId(p);
    const node = p.spec?.nodeName || undefined;
    const was = this.placed.get(key);
    if (was?.owner === owner && was?.node === node) return;
    this.remove(key);
    if (owner) add(this.byOwner, owner, key);
    if (node) add(this.byNode, node, key);
    this.placed.set(key, { ...(owner ? { owner } : {}), ...(node ? { node } : {}) });
  }

  delete(p: KubernetesObject): void {
    this.remove(podKey(p));
  }

  /** Keys (`namespace/name`) of the pods whose controller is `namespace/Kind/name`. */
  ownedBy(ownerId: string): readonly string[] {
    return [...(this.byOwner.get(ownerId) ?? [])];
  }

  /** Keys of the pods bound to `node`. */
  onNode(node: string): readonly string[] {
    return [...(this.byNode.get(node) ?? [])];
  }

  private remove(key: string): void {
    const was = this.placed.get(key);
    if (!was) return;
    if (was.owner) drop(this.byOwner, was.owner, key);
    if (was.node) drop(this.byNode, was.node, key);
    this.placed.delete(key);
  }
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function drop(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

/**
 * `namespace/Kind/name` of the workload that owns the pod: its StatefulSet, DaemonSet or
 * ReplicaSet, or the Deployment owning that ReplicaSet (read from the ReplicaSet cache; while the
 * ReplicaSet is not cached yet, the ReplicaSet's id).
 */
export function workloadIdOf(p: KubernetesObject, replicaSet: (namespace: string, name: string) => KubernetesObject | undefined): string | undefined {
  const direct = directOwnerId(p);
  if (!direct) return undefined;
  const [namespace = '', kind, name = ''] = direct.split('/');
  if (kind !== 'ReplicaSet') return direct;
  const up = replicaSet(namespace, name)?.metadata?.ownerReferences?.find((r) => r.controller === true);
  return up && up.apiVersion === 'apps/v1' && up.kind === 'Deployment' ? `${namespace}/Deployment/${up.name}` : direct;
}
