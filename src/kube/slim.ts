// Informer transforms: the parts of pods, workloads and nodes the operator reads, nothing else, so
// a cache of thousands of pods holds kilobytes less per pod (no managedFields, env, volumes,
// probes, images, other controllers' annotations…). Pure. What each keeps is what these readers
// use — change both together:
//   pods       src/core/canary/pod-view.ts (podViewFrom, podAllocatedRequests, nodeViewFrom),
//              src/kube/pod-resizer.ts, resize-patches.ts, resize-state.ts (metadata.annotations,
//              resourceVersion preconditions, spec/status resources, conditions), events.ts
//              (involvedObject: apiVersion, kind, name, namespace, uid);
//   workloads  src/controller/targets.ts (templateOf, resolveTargets) and the controller's
//              generation filter (uid, generation);
//   nodes      nodeViewFrom and zoneOf (name, labels, allocatable).
// Every slim object keeps metadata.name, namespace and resourceVersion: the informer's cache keys
// and change detection. Values are shared with the input, not copied (the input is garbage once
// transformed). Times stay as they came: Date objects from client-node's typed list responses,
// RFC 3339 strings from watch events (the readers accept both).
import type {
  KubernetesObject,
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1LabelSelector,
  V1ObjectMeta,
  V1PodCondition,
  V1PodOS,
  V1ResourceRequirements,
} from '@kubernetes/client-node';
import { GROUP } from '../api/constants.ts';

/** Only annotations under this prefix are kept on pods: attune's own record (pod-record.ts). */
export const KEPT_ANNOTATION_PREFIX = `${GROUP}/`;

type Resources = Pick<V1ResourceRequirements, 'requests' | 'limits'>;

/** A pod as the operator keeps it. A V1Pod is one (every field optional but containers' names). */
export type SlimPod = KubernetesObject & {
  metadata?: Pick<V1ObjectMeta, 'name' | 'namespace' | 'uid' | 'resourceVersion' | 'generation' | 'creationTimestamp' | 'deletionTimestamp' | 'labels' | 'annotations' | 'ownerReferences'>;
  spec?: {
    nodeName?: string;
    os?: V1PodOS;
    priorityClassName?: string;
    activeDeadlineSeconds?: number;
    resources?: Resources;
    containers: Array<Pick<V1Container, 'name' | 'resources' | 'resizePolicy'>>;
    initContainers?: Array<Pick<V1Container, 'name' | 'resources' | 'restartPolicy'>>;
  };
  status?: {
    phase?: string;
    qosClass?: string;
    observedGeneration?: number;
    conditions?: Array<Pick<V1PodCondition, 'type' | 'status' | 'reason' | 'message' | 'lastTransitionTime' | 'observedGeneration'>>;
    containerStatuses?: Array<Pick<V1ContainerStatus, 'name' | 'ready' | 'restartCount' | 'resources' | 'allocatedResources' | 'state' | 'lastState'>>;
  };
};

/** A Deployment, StatefulSet, DaemonSet or ReplicaSet as the operator keeps it. */
export type SlimWorkload = KubernetesObject & {
  metadata?: Pick<V1ObjectMeta, 'name' | 'namespace' | 'uid' | 'generation' | 'labels' | 'ownerReferences' | 'resourceVersion'>;
  spec?: {
    replicas?: number;
    selector?: V1LabelSelector;
    template?: { spec?: { containers: Array<Pick<V1Container, 'name' | 'resources'>> } };
  };
};

/** A node as the operator keeps it. */
export type SlimNode = KubernetesObject & {
  metadata?: Pick<V1ObjectMeta, 'name' | 'uid' | 'resourceVersion' | 'labels'>;
  status?: { allocatable?: Record<string, string> };
};

/** A new object with those of `keys` that are set in `o` (undefined when `o` is). */
function pick<O extends object, K extends keyof O>(o: O | undefined, keys: readonly K[]): Pick<O, K> | undefined {
  if (!o) return undefined;
  const out = {} as Pick<O, K>;
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) out[k] = o[k];
  return out;
}

function resources(r: Resources | undefined): Resources | undefined {
  if (!r) return undefined;
  const out: Resources = {};
  if (r.requests) out.requests = r.requests;
  if (r.limits) out.limits = r.limits;
  return out;
}

function attuneAnnotations(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  let out: Record<string, string> | undefined;
  for (const k in a) {
    if (k.startsWith(KEPT_ANNOTATION_PREFIX)) (out ??= {})[k] = a[k]!;
  }
  return out;
}

/** running (since when), terminated (why, exit code, when), waiting (why); undefined when empty. */
function state(s: V1ContainerState | undefined): V1ContainerState | undefined {
  if (!s) return undefined;
  const out: V1ContainerState = {};
  if (s.running) out.running = pick(s.running, ['startedAt'])!;
  if (s.terminated) out.terminated = pick(s.terminated, ['exitCode', 'reason', 'startedAt', 'finishedAt'])!;
  if (s.waiting) out.waiting = pick(s.waiting, ['reason'])!;
  return out.running || out.terminated || out.waiting ? out : undefined;
}

const POD_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'labels', 'ownerReferences'] as const;
const CONDITION = ['type', 'status', 'reason', 'message', 'lastTransitionTime', 'observedGeneration'] as const;

export function slimPod(p: SlimPod): SlimPod {
  const out: SlimPod = { apiVersion: 'v1', kind: 'Pod' };
  if (p.metadata) {
    const annotations = attuneAnnotations(p.metadata.annotations);
    out.metadata = pick(p.metadata, POD_METADATA)!;
    if (annotations) out.metadata.annotations = annotations;
  }
  const spec = p.spec;
  if (spec) {
    out.spec = {
      ...pick(spec, ['nodeName', 'os', 'priorityClassName', 'activeDeadlineSeconds']),
      containers: (spec.containers ?? []).map((c) => {
        const r = resources(c.resources);
        return { name: c.name, ...(r ? { resources: r } : {}), ...(c.resizePolicy ? { resizePolicy: c.resizePolicy } : {}) };
      }),
    };
    const podResources = resources(spec.resources);
    if (podResources) out.spec.resources = podResources;
    if (spec.initContainers) {
      out.spec.initContainers = spec.initContainers.map((c) => {
        const r = resources(c.resources);
        return { name: c.name, ...(r ? { resources: r } : {}), ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}) };
      });
    }
  }
  const st = p.status;
  if (st) {
    out.status = pick(st, ['phase', 'qosClass', 'observedGeneration'])!;
    if (st.conditions) out.status.conditions = st.conditions.map((c) => pick(c, CONDITION)!);
    if (st.containerStatuses) {
      out.status.containerStatuses = st.containerStatuses.map((s) => {
        const r = resources(s.resources);
        const current = state(s.state);
        const last = state(s.lastState);
        return {
          ...pick(s, ['name', 'ready', 'restartCount', 'allocatedResources'])!,
          ...(r ? { resources: r } : {}),
          ...(current ? { state: current } : {}),
          ...(last ? { lastState: last } : {}),
        };
      });
    }
  }
  return out;
}

const WORKLOAD_METADATA = ['name', 'namespace', 'uid', 'generation', 'labels', 'ownerReferences', 'resourceVersion'] as const;

export function slimWorkload(w: SlimWorkload): SlimWorkload {
  const out: SlimWorkload = {};
  if (w.apiVersion) out.apiVersion = w.apiVersion;
  if (w.kind) out.kind = w.kind;
  if (w.metadata) out.metadata = pick(w.metadata, WORKLOAD_METADATA)!;
  const spec = w.spec;
  if (spec) {
    out.spec = pick(spec, ['replicas', 'selector'])!;
    const containers = spec.template?.spec?.containers;
    if (containers) {
      out.spec.template = {
        spec: {
          containers: containers.map((c) => {
            const r = resources(c.resources);
            return { name: c.name, ...(r ? { resources: r } : {}) };
          }),
        },
      };
    }
  }
  return out;
}

export function slimNode(n: SlimNode): SlimNode {
  const out: SlimNode = { apiVersion: 'v1', kind: 'Node' };
  if (n.metadata) out.metadata = pick(n.metadata, ['name', 'uid', 'resourceVersion', 'labels'])!;
  if (n.status) out.status = n.status.allocatable ? { allocatable: n.status.allocatable } : {};
  return out;
}
