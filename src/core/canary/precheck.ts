// What a resize of one pod would be — absolute values for a strategic-merge pods/resize patch — or
// why it must be skipped. Never send a request bound to fail (issue 5 §2; inplace-api.md §3, §7):
//   · QoS class unchanged: Guaranteed moves requests and limits together; Burstable must not
//     become Guaranteed; BestEffort cannot be resized.
//   · controlledValues: RequestsAndLimits keeps each existing limit's ratio to its request,
//     RequestsOnly leaves limits alone (a request never passes its limit). A limit or a request
//     that does not exist is never added (the apiserver would not let a revert remove it).
//   · memory-limit decreases: 1.34+ always; 1.33 only with memory resizePolicy RestartContainer.
//   · LimitRange min / max / maxLimitRequestRatio (Container and Pod items) for the whole pod.
//   · ResourceQuota headroom for increases (requests.*, limits.*, cpu, memory), scopes honoured.
//   · room on the node for increased requests.
// Pure.
import { parseQuantity } from '../quantity.ts';
import { qosClassOf } from './pod-view.ts';
import { formatUnits, mulDivCeil, roundUpToGrid, sameQuantity, sameResources, units } from './resources.ts';
import {
  RESOURCES,
  type ContainerResources,
  type ControlledValues,
  type LimitRangeItemView,
  type NodeRoom,
  type PatchContainer,
  type PodView,
  type QuotaView,
  type ResourceList,
  type ResourceName,
  type SkipReason,
} from './types.ts';

export type QuotaKey = 'requests.cpu' | 'requests.memory' | 'limits.cpu' | 'limits.memory';
export type QuotaDelta = Record<QuotaKey, bigint>;

export interface PrecheckInput {
  pod: PodView;
  /** Per container, the size to move to; requests drive, limits follow controlledValues. Containers absent are left alone. */
  target: Readonly<Record<string, ContainerResources>>;
  /** One value, or per resource (spec.cpu.controlledValues / spec.memory.controlledValues). */
  controlledValues: ControlledValues | Readonly<Record<ResourceName, ControlledValues>>;
  /** Minor version of the apiserver (33 for 1.33). */
  serverMinor: number;
  limitRanges?: readonly LimitRangeItemView[];
  quotas?: readonly QuotaView[];
  /** Quota already taken by other resizes of the same plan, per quota name. */
  quotaReserved?: Readonly<Record<string, Partial<QuotaDelta>>>;
  /** Room for this pod's requests on its node: allocatable − the other pods' allocated requests (− what this plan already took). */
  nodeRoom?: NodeRoom;
}

export type PrecheckResult =
  | {
      ok: true;
      /** Changed containers, absolute cpu/memory requests and limits: the patch's spec.containers. */
      containers: PatchContainer[];
      from: Record<string, ContainerResources>;
      to: Record<string, ContainerResources>;
      /** Containers that will restart to apply it (resizePolicy RestartContainer on a changed resource). */
      restartExpected: string[];
      /** What the resize adds to quota usage (negative for decreases). */
      quotaDelta: QuotaDelta;
      /** What the resize adds to the node's allocated requests (negative for decreases). */
      nodeDelta: { cpu: bigint; memory: bigint };
    }
  | { ok: false; reason: SkipReason; message: string };

const fail = (reason: SkipReason, message: string): PrecheckResult => ({ ok: false, reason, message });

interface Working {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
}

const QUOTA_KEYS: Readonly<Record<string, QuotaKey>> = {
  'requests.cpu': 'requests.cpu',
  cpu: 'requests.cpu',
  'requests.memory': 'requests.memory',
  memory: 'requests.memory',
  'limits.cpu': 'limits.cpu',
  'limits.memory': 'limits.memory',
};

/** Whether a ResourceQuota's scopes select this pod. Unknown scopes are assumed to match (the safe side). */
export function quotaApplies(q: QuotaView, pod: PodView): boolean {
  const scope = (name: string): boolean | undefined => {
    switch (name) {
      case 'Terminating':
        return pod.activeDeadlineSeconds !== undefined;
      case 'NotTerminating':
        return pod.activeDeadlineSeconds === undefined;
      case 'BestEffort':
        return pod.qosClass === 'BestEffort';
      case 'NotBestEffort':
        return pod.qosClass !== 'BestEffort';
      case 'PriorityClass':
        return pod.priorityClassName !== undefined;
      default:
        return undefined;
    }
  };
  for (const s of q.scopes ?? []) if (scope(s) === false) return false;
  for (const e of q.scopeSelector ?? []) {
    if (e.scopeName === 'PriorityClass') {
      const pc = pod.priorityClassName;
      const values = e.values ?? [];
      const ok =
        e.operator === 'In' ? pc !== undefined && values.includes(pc)
        : e.operator === 'NotIn' ? pc === undefined || !values.includes(pc)
        : e.operator === 'Exists' ? pc !== undefined
        : e.operator === 'DoesNotExist' ? pc === undefined
        : true;
      if (!ok) return false;
    } else {
      const m = scope(e.scopeName);
      if (m === undefined) continue;
      if ((e.operator === 'DoesNotExist' ? !m : m) === false) return false;
    }
  }
  return true;
}

function controlled(cv: PrecheckInput['controlledValues'], r: ResourceName): ControlledValues {
  return typeof cv === 'string' ? cv : cv[r];
}

/** ratio check: limit / request ≤ max, exactly. */
function ratioExceeded(limit: bigint, request: bigint, max: string): boolean {
  const q = parseQuantity(max);
  if (!q || request <= 0n) return false;
  return limit * q.den > q.num * request;
}

function checkLimitRanges(items: readonly LimitRangeItemView[], containers: readonly Working[]): string | undefined {
  const sum = (kind: 'requests' | 'limits', r: ResourceName) => {
    let s: bigint | undefined;
    for (const c of containers) {
      const v = units(r, c[kind][r]);
      if (v !== undefined) s = (s ?? 0n) + v;
    }
    return s;
  };
  for (const item of items) {
    const scopes: Array<{ what: string; req: (r: ResourceName) => bigint | undefined; lim: (r: ResourceName) => bigint | undefined }> =
      item.type === 'Container'
        ? containers.map((c) => ({ what: `container ${c.name}`, req: (r: ResourceName) => units(r, c.requests[r]), lim: (r: ResourceName) => units(r, c.limits[r]) }))
        : item.type === 'Pod'
          ? [{ what: 'the pod', req: (r: ResourceName) => sum('requests', r), lim: (r: ResourceName) => sum('limits', r) }]
          : [];
    for (const s of scopes) {
      for (const r of RESOURCES) {
        const req = s.req(r);
        const lim = s.lim(r);
        const min = units(r, item.min?.[r]);
        const max = units(r, item.max?.[r]);
        const ratio = item.maxLimitRequestRatio?.[r];
        const show = (v: bigint) => formatUnits(r, v);
        if (min !== undefined && req !== undefined && req < min) return `${s.what}: ${r} request ${show(req)} is below the LimitRange minimum ${item.min![r]}`;
        if (min !== undefined && lim !== undefined && lim < min) return `${s.what}: ${r} limit ${show(lim)} is below the LimitRange minimum ${item.min![r]}`;
        if (max !== undefined && lim !== undefined && lim > max) return `${s.what}: ${r} limit ${show(lim)} is above the LimitRange maximum ${item.max![r]}`;
        if (max !== undefined && req !== undefined && req > max) return `${s.what}: ${r} request ${show(req)} is above the LimitRange maximum ${item.max![r]}`;
        if (ratio !== undefined && req !== undefined && lim !== undefined && ratioExceeded(lim, req, ratio))
          return `${s.what}: ${r} limit/request ratio ${show(lim)}/${show(req)} is above the LimitRange maxLimitRequestRatio ${ratio}`;
      }
    }
  }
  return undefined;
}

export function precheck(input: PrecheckInput): PrecheckResult {
  const { pod } = input;
  if (pod.record.state === 'damaged') return fail('DamagedRecord', `the attune record on the pod is damaged (${pod.record.reason}); attune does not touch it`);
  if (input.serverMinor < 33) return fail('UnsupportedServer', `Kubernetes 1.${input.serverMinor} has no in-place resize enabled by default (1.33+ is needed)`);
  if (pod.windows) return fail('Windows', 'Windows pods cannot be resized in place');
  if (pod.podLevelResources) return fail('PodLevelResources', 'the pod sets pod-level resources (spec.resources), which attune does not resize');
  if (pod.qosClass === 'BestEffort') return fail('BestEffort', 'BestEffort pods cannot be resized: adding requests or limits would change the QoS class');

  const guaranteed = pod.qosClass === 'Guaranteed';
  const working: Working[] = [];
  const from: Record<string, ContainerResources> = {};
  const to: Record<string, ContainerResources> = {};
  const containers: PatchContainer[] = [];
  const restartExpected: string[] = [];
  const quotaDelta: QuotaDelta = { 'requests.cpu': 0n, 'requests.memory': 0n, 'limits.cpu': 0n, 'limits.memory': 0n };
  const decreases: string[] = [];
  let targeted = 0;

  for (const c of pod.containers) {
    const requests: ResourceList = { ...c.spec.requests };
    const limits: ResourceList = { ...c.spec.limits };
    const t = input.target[c.name];
    if (t) {
      targeted++;
      for (const r of RESOURCES) {
        const want = t.requests?.[r];
        if (want === undefined) continue;
        const tv = units(r, want);
        if (tv === undefined || tv < 0n) return fail('InvalidQuantity', `container ${c.name}: ${r} target ${want} is not a quantity`);
        const curReq = units(r, c.spec.requests[r]);
        const curLim = units(r, c.spec.limits[r]);
        if (curReq === undefined) continue; // never add a request
        let newReq = tv;
        let newLim = curLim;
        if (curLim !== undefined) {
          if (guaranteed) newLim = tv;
          else if (controlled(input.controlledValues, r) === 'RequestsAndLimits' && curReq > 0n) {
            const exact = (curLim * tv) % curReq === 0n;
            newLim = exact ? (curLim * tv) / curReq : roundUpToGrid(r, mulDivCeil(curLim, tv, curReq));
            if (newLim < newReq) newLim = newReq;
          } else if (newReq > curLim) newReq = curLim; // RequestsOnly: a request never passes its limit
        }
        // Keep the original spelling when the value does not change ("1000m" stays "1000m").
        if (units(r, requests[r]) !== newReq) requests[r] = formatUnits(r, newReq);
        if (newLim !== undefined && units(r, limits[r]) !== newLim) limits[r] = formatUnits(r, newLim);
      }
    }
    working.push({ name: c.name, requests, limits });
    const before: ContainerResources = { ...(Object.keys(c.spec.requests).length ? { requests: { ...c.spec.requests } } : {}), ...(Object.keys(c.spec.limits).length ? { limits: { ...c.spec.limits } } : {}) };
    const after: ContainerResources = { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
    if (sameResources(before, after)) continue;
    from[c.name] = before;
    to[c.name] = after;
    containers.push({ name: c.name, resources: after });
    for (const r of RESOURCES) {
      const changed = !sameQuantity(r, c.spec.requests[r], requests[r]) || !sameQuantity(r, c.spec.limits[r], limits[r]);
      if (changed && c.spec.resizePolicy[r] === 'RestartContainer' && !restartExpected.includes(c.name)) restartExpected.push(c.name);
      const d = (kind: 'requests' | 'limits') => (units(r, after[kind]?.[r]) ?? 0n) - (units(r, before[kind]?.[r]) ?? 0n);
      quotaDelta[`requests.${r}`] += d('requests');
      quotaDelta[`limits.${r}`] += d('limits');
      const oldMemLim = units('memory', c.spec.limits.memory);
      const newMemLim = units('memory', limits.memory);
      if (r === 'memory' && oldMemLim !== undefined && newMemLim !== undefined && newMemLim < oldMemLim) decreases.push(c.name);
    }
    const bad = RESOURCES.find((r) => {
      const q = units(r, requests[r]);
      const l = units(r, limits[r]);
      return q !== undefined && l !== undefined && q > l;
    });
    if (bad) return fail('QoSChange', `container ${c.name}: the ${bad} request would exceed its limit`);
  }

  if (targeted === 0) return fail('NoRecommendation', 'no recommendation for any container of the pod');
  if (containers.length === 0) return fail('NoChange', 'the pod already runs with the target resources');

  const newQos = qosClassOf([...pod.initContainers, ...working]);
  if (newQos !== pod.qosClass) return fail('QoSChange', `the resize would change the pod's QoS class from ${pod.qosClass} to ${newQos}`);

  for (const name of decreases) {
    const c = pod.containers.find((x) => x.name === name)!;
    if (input.serverMinor >= 34) continue;
    if (c.spec.resizePolicy.memory === 'RestartContainer') continue;
    return fail(
      'MemoryLimitDecreaseUnsupported',
      `container ${name}: Kubernetes 1.${input.serverMinor} refuses a memory-limit decrease unless the container's memory resizePolicy is RestartContainer (1.34+ allows it)`,
    );
  }

  const lr = checkLimitRanges(input.limitRanges ?? [], working);
  if (lr) return fail('LimitRange', lr);

  for (const q of input.quotas ?? []) {
    if (!quotaApplies(q, pod)) continue;
    for (const [key, hardStr] of Object.entries(q.hard)) {
      const k = QUOTA_KEYS[key];
      if (!k) continue;
      const delta = quotaDelta[k];
      if (delta <= 0n) continue;
      const r: ResourceName = k.endsWith('cpu') ? 'cpu' : 'memory';
      const hard = units(r, hardStr);
      if (hard === undefined) continue;
      const used = (units(r, q.used[key]) ?? 0n) + (input.quotaReserved?.[q.name]?.[k] ?? 0n);
      if (used + delta > hard)
        return fail('Quota', `ResourceQuota ${q.name}: ${key} would be ${formatUnits(r, used + delta)} (used ${formatUnits(r, used)} + ${formatUnits(r, delta)}), above hard ${hardStr}`);
    }
  }

  const nodeDelta = { cpu: quotaDelta['requests.cpu'], memory: quotaDelta['requests.memory'] };
  if (input.nodeRoom) {
    for (const r of RESOURCES) {
      const room = input.nodeRoom[r];
      if (room === undefined || nodeDelta[r] <= 0n) continue;
      let total = 0n;
      for (const w of working) total += units(r, w.requests[r]) ?? 0n;
      if (total > room)
        return fail('NodeRoom', `node ${pod.nodeName ?? '?'}: the pod would request ${formatUnits(r, total)} ${r}, but only ${formatUnits(r, room < 0n ? 0n : room)} is free for it`);
    }
  }

  return { ok: true, containers, from, to, restartExpected, quotaDelta, nodeDelta };
}
