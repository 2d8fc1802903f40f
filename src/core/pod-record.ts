// What attune records on a pod before it changes it (design.md §2: "record what you change on
// the object you change"), so that a revert works after an operator restart:
//   attune.dev/original-resources  JSON {"<container>": {"requests": {...}, "limits": {...}}}
//                                   — the cpu/memory requests and limits before the cycle's first
//                                   change; written once per cycle, never overwritten by a later
//                                   resize of the same cycle;
//   attune.dev/cycle               the id of the resize cycle that changed the pod;
//   attune.dev/policy              "<namespace>/<name>" of the ResizePolicy;
//   attune.dev/baseline            JSON {"at": "<RFC 3339 time of the resize>", "restarts": {"<container>": n}}
//                                   — what the safety monitor compares against (restart spikes,
//                                   OOMKills and NotReady since the resize), also after a restart.
// Pure: encode to annotations, decode from annotations (never throws; a damaged record is
// reported as such, so the controller can refuse to touch the pod rather than guess).
import { Annotation } from '../api/constants.ts';

export type ResourceList = Record<string, string>;

export interface ContainerResources {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface Baseline {
  /** When the pod was resized (RFC 3339). */
  at: string;
  /** Per container: restartCount when it was resized. */
  restarts: Record<string, number>;
}

export interface PodRecord {
  /** Per container: its resources before the cycle changed them. */
  originals: Record<string, ContainerResources>;
  cycle: string;
  policy: string;
  baseline?: Baseline;
}

export const BASELINE_ANNOTATION = 'attune.dev/baseline';

export type DecodedRecord = { state: 'none' } | { state: 'ok'; record: PodRecord } | { state: 'damaged'; reason: string };

const MAX_ANNOTATION_BYTES = 64 * 1024;

/** Only cpu and memory, only string quantities: what a resize may change. */
function cleanList(v: unknown): ResourceList | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('a resource list is not an object');
  const out: ResourceList = {};
  for (const [k, q] of Object.entries(v as Record<string, unknown>)) {
    if (k !== 'cpu' && k !== 'memory') continue;
    if (typeof q !== 'string' || q.length === 0 || q.length > 64) throw new Error(`${k} is not a quantity string`);
    out[k] = q;
  }
  return Object.keys(out).length ? out : undefined;
}

export function encodeRecord(r: PodRecord): Record<string, string> {
  const originals: Record<string, ContainerResources> = {};
  for (const [name, res] of Object.entries(r.originals)) {
    const requests = cleanList(res.requests);
    const limits = cleanList(res.limits);
    originals[name] = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  }
  return {
    [Annotation.originalResources]: JSON.stringify(originals),
    [Annotation.cycle]: r.cycle,
    [Annotation.policy]: r.policy,
    ...(r.baseline ? { [BASELINE_ANNOTATION]: JSON.stringify(r.baseline) } : {}),
  };
}

function decodeBaseline(raw: string | undefined): Baseline | undefined {
  if (raw === undefined) return undefined;
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('baseline is not an object');
  const { at, restarts } = v as { at?: unknown; restarts?: unknown };
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new Error('baseline.at is not a time');
  if (typeof restarts !== 'object' || restarts === null || Array.isArray(restarts)) throw new Error('baseline.restarts is not an object');
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(restarts as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`baseline.restarts.${k} is not a count`);
    out[k] = n;
  }
  return { at, restarts: out };
}

export function decodeRecord(annotations: Readonly<Record<string, string>> | undefined): DecodedRecord {
  const raw = annotations?.[Annotation.originalResources];
  if (raw === undefined) return { state: 'none' };
  const cycle = annotations?.[Annotation.cycle] ?? '';
  const policy = annotations?.[Annotation.policy] ?? '';
  if (raw.length > MAX_ANNOTATION_BYTES) return { state: 'damaged', reason: `${Annotation.originalResources} is larger than ${MAX_ANNOTATION_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { state: 'damaged', reason: `${Annotation.originalResources} is not JSON` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { state: 'damaged', reason: `${Annotation.originalResources} is not an object` };
  const originals: Record<string, ContainerResources> = {};
  try {
    for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`container ${name} is not an object`);
      const o = v as Record<string, unknown>;
      const requests = cleanList(o.requests);
      const limits = cleanList(o.limits);
      originals[name] = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
    }
  } catch (e) {
    return { state: 'damaged', reason: `${Annotation.originalResources}: ${(e as Error).message}` };
  }
  if (!cycle) return { state: 'damaged', reason: `${Annotation.cycle} is missing` };
  let baseline: Baseline | undefined;
  try {
    baseline = decodeBaseline(annotations?.[BASELINE_ANNOTATION]);
  } catch (e) {
    return { state: 'damaged', reason: `${BASELINE_ANNOTATION}: ${(e as Error).message}` };
  }
  return { state: 'ok', record: { originals, cycle, policy, ...(baseline ? { baseline } : {}) } };
}
