// The bodies PodResizer sends, and the record it writes, as pure functions of the pod it was given
// (docs/pod-resizer.md). Nothing here talks to the apiserver.
//
//  - recordFor:    the record to write before a resize: originals read from the pod's spec (never
//                  from the caller), except that a record of the SAME cycle keeps its originals;
//  - recordPatch:  JSON merge patch of the record annotations, preconditioned on resourceVersion;
//  - resizePatch:  strategic-merge patch of pods/resize: absolute cpu/memory values, named containers;
//  - revertPatch:  the same, back to the recorded originals (a key the originals lack is removed);
//  - clearPatch:   JSON merge patch removing the record annotations, preconditioned on resourceVersion.
import { Annotation } from '../api/constants.ts';
import { BASELINE_ANNOTATION, decodeRecord, type Baseline, type ContainerResources, type PodRecord, type ResourceList } from '../core/pod-record.ts';
import { parseQuantity } from '../core/quantity.ts';
import { RESIZABLE, type ResizeTarget } from './resize-state.ts';
import type { SlimPod } from './slim.ts';

/** What the caller says about a resize; the originals are always read from the pod. */
export type RecordIntent = Omit<PodRecord, 'originals'>;

/** Every annotation of the record, in the order they are documented. */
export const RECORD_ANNOTATIONS: readonly string[] = [Annotation.originalResources, Annotation.cycle, Annotation.policy, BASELINE_ANNOTATION];

const KINDS = ['requests', 'limits'] as const;

function cpuMemory(list: ResourceList | undefined): ResourceList | undefined {
  if (!list) return undefined;
  const out: ResourceList = {};
  for (const k of RESIZABLE) if (list[k] !== undefined) out[k] = list[k];
  return Object.keys(out).length ? out : undefined;
}

/** A container's cpu/memory requests and limits in the pod's spec; undefined when the pod has no such container. */
export function specResources(pod: SlimPod, container: string): ContainerResources | undefined {
  const c = pod.spec?.containers.find((x) => x.name === container);
  if (!c) return undefined;
  const requests = cpuMemory(c.resources?.requests);
  const limits = cpuMemory(c.resources?.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Why a target cannot be sent as is (checked before anything is written); undefined when it can. */
export function targetProblem(pod: SlimPod, target: ResizeTarget): string | undefined {
  if (target.length === 0) return 'the target names no container';
  const seen = new Set<string>();
  for (const t of target) {
    if (seen.has(t.name)) return `container ${t.name} is named twice in the target`;
    seen.add(t.name);
    if (!specResources(pod, t.name)) return `the pod has no container ${t.name} (only spec.containers can be resized)`;
    let values = 0;
    for (const kind of KINDS) {
      for (const [res, q] of Object.entries(t.resources[kind] ?? {})) {
        if (!RESIZABLE.includes(res)) return `container ${t.name}: ${kind}.${res} cannot be resized in place (only cpu and memory)`;
        if (parseQuantity(q) === undefined) return `container ${t.name}: ${kind}.${res} is not a quantity: ${JSON.stringify(q)}`;
        values++;
      }
    }
    if (values === 0) return `container ${t.name}: the target sets no value`;
  }
  return undefined;
}

export type RecordFor = { kind: 'ok'; record: PodRecord } | { kind: 'damaged'; message: string };

/**
 * The record to write before resizing `containers` of `pod`. Originals come from the pod's spec;
 * when the pod already carries a record of the same cycle, its originals are kept (a second resize
 * in a cycle never overwrites them) and only containers it lacks are added; the caller's baseline
 * replaces the recorded one, if given. A record of another cycle is replaced as a whole.
 */
export function recordFor(pod: SlimPod, intent: RecordIntent, containers: readonly string[]): RecordFor {
  const existing = decodeRecord(pod.metadata?.annotations);
  if (existing.state === 'damaged') return { kind: 'damaged', message: existing.reason };
  const sameCycle = existing.state === 'ok' && existing.record.cycle === intent.cycle ? existing.record : undefined;
  const originals: Record<string, ContainerResources> = { ...(sameCycle?.originals ?? {}) };
  for (const name of containers) originals[name] ??= specResources(pod, name) ?? {};
  const baseline: Baseline | undefined = intent.baseline ?? sameCycle?.baseline;
  return { kind: 'ok', record: { originals, cycle: intent.cycle, policy: intent.policy, ...(baseline ? { baseline } : {}) } };
}

/** The restart counts of the pod's containers now: a baseline for the safety monitor. */
export function baselineOf(pod: SlimPod, at: Date): Baseline {
  const restarts: Record<string, number> = {};
  for (const s of pod.status?.containerStatuses ?? []) restarts[s.name] = s.restartCount ?? 0;
  return { at: at.toISOString(), restarts };
}

/** JSON merge patch writing the record; fails with 409 if the pod changed since `resourceVersion`. */
export function recordPatch(resourceVersion: string, annotations: Record<string, string>): object {
  const nulled: Record<string, string | null> = Object.fromEntries(RECORD_ANNOTATIONS.map((k) => [k, null]));
  return { metadata: { resourceVersion, annotations: { ...nulled, ...annotations } } };
}

/** JSON merge patch removing every record annotation; fails with 409 if the pod changed since `resourceVersion`. */
export function clearPatch(resourceVersion: string): object {
  return { metadata: { resourceVersion, annotations: Object.fromEntries(RECORD_ANNOTATIONS.map((k) => [k, null])) } };
}

/** Strategic-merge patch of pods/resize: the given absolute values, merged by container name. */
export function resizePatch(target: ResizeTarget): object {
  return {
    spec: {
      containers: target.map((t) => ({
        name: t.name,
        resources: Object.fromEntries(KINDS.filter((k) => t.resources[k] && Object.keys(t.resources[k]).length).map((k) => [k, { ...t.resources[k] }])),
      })),
    },
  };
}

/**
 * Strategic-merge patch of pods/resize back to the recorded originals, for every recorded
 * container. A cpu/memory request or limit the pod has now but the originals lack is removed (null),
 * so the pod ends exactly as recorded; the apiserver refuses that removal (422) — a resize must
 * never add one in the first place.
 */
export function revertPatch(pod: SlimPod, originals: Readonly<Record<string, ContainerResources>>): object {
  return {
    spec: {
      containers: Object.entries(originals).map(([name, o]) => {
        const now = specResources(pod, name) ?? {};
        const resources: Record<string, Record<string, string | null>> = {};
        for (const kind of KINDS) {
          const list: Record<string, string | null> = { ...(o[kind] ?? {}) };
          for (const res of Object.keys(now[kind] ?? {})) if (list[res] === undefined) list[res] = null;
          if (Object.keys(list).length) resources[kind] = list;
        }
        return { name, resources };
      }),
    },
  };
}

/** True when the pod carries any record annotation (also a damaged or partial record). */
export function hasRecordAnnotations(pod: SlimPod): boolean {
  const a = pod.metadata?.annotations ?? {};
  return RECORD_ANNOTATIONS.some((k) => a[k] !== undefined);
}
