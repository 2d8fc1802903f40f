// Fault injection on live pods: the annotations a test writes to make containers exit at a moment
// it chooses, and which of their changes call for an exit. Pure; the simulated kubelet applies the
// result to its container models (container-model.ts `inject`).
//
//   sim.attune.dev/crash: "<token>:<container>[,<container>…]"   → exit code 1, reason Error
//   sim.attune.dev/oom:   "<token>:<container>[,<container>…]"   → exit code 137, reason OOMKilled
//
// The token names one injection: each new token makes each named container exit once; writing a
// token again (whatever the containers) does nothing, so retries and re-applies are harmless. The
// token is whatever precedes the last ':' (container names cannot contain one, so a timestamp
// works); `*` names every container of the pod. The value a pod carries when the kubelet first
// sees it is recorded, not acted on: a pod created (or a kubelet restarted) with the annotation does
// not crash at start, and a pod template carrying it does not crash every replica.
import type { ExitReason } from './container-model.ts';

export const CRASH_ANNOTATION = 'sim.attune.dev/crash';
export const OOM_ANNOTATION = 'sim.attune.dev/oom';

/** Each fault annotation and the exit it causes. */
export const FAULT_ANNOTATIONS: ReadonlyArray<readonly [annotation: string, reason: ExitReason]> = [
  [CRASH_ANNOTATION, 'Error'],
  [OOM_ANNOTATION, 'OOMKilled'],
];

export interface FaultRequest {
  token: string;
  /** Container names, deduplicated, in the order written; `all` for `*`. */
  containers: readonly string[] | 'all';
}

export type FaultParse = { ok: true; request: FaultRequest } | { ok: false; error: string };

const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/; // a DNS-1123 label, as the API requires

/** Parses one annotation value. Never throws; `error` is one line saying what is wrong. */
export function parseFault(value: string): FaultParse {
  const text = value.trim();
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { ok: false, error: `expected "<token>:<container>[,<container>…]", got "${value}"` };
  const token = text.slice(0, colon).trim();
  if (token === '') return { ok: false, error: `empty token in "${value}"` };
  const names = text.slice(colon + 1).split(',').map((n) => n.trim());
  if (names.length === 1 && names[0] === '*') return { ok: true, request: { token, containers: 'all' } };
  for (const n of names) {
    if (n === '') return { ok: false, error: `empty container name in "${value}"` };
    if (n.length > 63 || !CONTAINER_NAME.test(n)) return { ok: false, error: `invalid container name "${n}" in "${value}"` };
  }
  return { ok: true, request: { token, containers: [...new Set(names)] } };
}

/** Per fault annotation: the last value seen (so an unchanged value costs one comparison) and the
 * last token acted on (so a repeated token does nothing, even after the annotation was removed). */
export type FaultMemory = Readonly<Record<string, { readonly value?: string; readonly token?: string }>>;

export interface Injection {
  container: string;
  reason: ExitReason;
  annotation: string;
  token: string;
}

export interface FaultReading {
  /** `memory` itself (the same object) when no fault annotation changed. */
  memory: FaultMemory;
  inject: Injection[];
  /** One line per rejected annotation value, naming the annotation. */
  errors: string[];
}

/**
 * What the fault annotations of a pod ask for, given what was seen before (`undefined`: the pod is
 * seen for the first time, so tokens are recorded and nothing is injected). A value that does not
 * parse or names a container the pod lacks is rejected whole and its token is not recorded, so a
 * corrected value with the same token still acts.
 */
export function readFaults(memory: FaultMemory | undefined, annotations: Readonly<Record<string, string>> | undefined, containers: readonly string[]): FaultReading {
  if (memory !== undefined && FAULT_ANNOTATIONS.every(([a]) => annotations?.[a] === memory[a]?.value)) return { memory, inject: [], errors: [] };
  const next: Record<string, { value?: string; token?: string }> = { ...memory };
  const inject: Injection[] = [];
  const errors: string[] = [];
  for (const [annotation, reason] of FAULT_ANNOTATIONS) {
    const value = annotations?.[annotation];
    const seen = memory?.[annotation] ?? {};
    if (memory !== undefined && value === seen.value) continue;
    next[annotation] = { ...seen, value };
    if (value === undefined) continue; // removed: nothing to do, the last token stays remembered
    const parsed = parseFault(value);
    if (!parsed.ok) {
      errors.push(`annotation ${annotation}: ${parsed.error}`);
      continue;
    }
    const { token, containers: named } = parsed.request;
    const unknown = named === 'all' ? [] : named.filter((n) => !containers.includes(n));
    if (unknown.length > 0) {
      errors.push(`annotation ${annotation}: no container ${unknown.map((n) => `"${n}"`).join(', ')} in the pod (it has ${containers.join(', ')})`);
      continue;
    }
    if (token === seen.token) continue;
    next[annotation] = { value, token };
    if (memory === undefined) continue; // first sight: recorded only
    for (const container of named === 'all' ? containers : named) inject.push({ container, reason, annotation, token });
  }
  return { memory: next, inject, errors };
}
