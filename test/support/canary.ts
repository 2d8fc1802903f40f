// Helpers for the canary e2e tests: one local environment with the tests' workloads and a day of
// their history, the operator running as its ServiceAccount, and readers of pods, records, events
// and policy status.
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, Watch, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../hack/cluster/binaries.ts';
import { startLocalEnv, type LocalEnv } from '../../hack/cluster/local-env.ts';
import { installOperatorIdentity } from '../../hack/cluster/operator-identity.ts';
import { Annotation, GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { ResizePolicyStatus } from '../../src/api/status.ts';
import { decodeRecord } from '../../src/core/pod-record.ts';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import { clients, eventually, type Clients } from './kube.ts';
import { startOperator, type RunningOperator } from './operator.ts';

export interface CanaryEnv {
  env: LocalEnv;
  c: Clients;
  runDir: string;
  saKubeconfig: string;
  /** Starts the operator (as the attune ServiceAccount) with fast test settings plus `extra` flags. */
  operator(extra?: string[]): Promise<RunningOperator>;
  stop(): Promise<void>;
}

/** A local environment running `fixture` (a file in test/e2e/fixtures) with a day of history, the CRD and deploy/rbac.yaml applied. */
export async function startCanaryEnv(fixture: string, nodes = 3): Promise<CanaryEnv> {
  const runDir = await mkdtemp(join(tmpdir(), 'attune-e2e-canary-'));
  const env = await startLocalEnv({
    runDir,
    nodes,
    scenario: join(REPO_ROOT, 'test', 'e2e', 'fixtures', fixture),
    historyDays: 1,
    kubelet: { cpu: '16', memory: '32Gi' },
    removeOnStop: true,
  });
  const c = clients(env.cluster.kubeconfig);
  const saKubeconfig = await installOperatorIdentity(env.cluster.kubeconfig, runDir);
  const running: RunningOperator[] = [];
  return {
    env,
    c,
    runDir,
    saKubeconfig,
    operator: async (extra = []) => {
      const op = await startOperator(['--kubeconfig', saKubeconfig, '--prometheus-url', env.prometheus.url, '--refresh', '10s', '--query-timeout', '3s', ...extra]);
      running.push(op);
      return op;
    },
    stop: async () => {
      for (const op of running) op.stop();
      await env.stop();
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Create, patch, read a ResizePolicy of one namespace. */
export function rspClient(c: Clients, namespace: string) {
  const custom = c.kc.makeApiClient(CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  return {
    create: (name: string, spec: unknown) => custom.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ResizePolicy', metadata: { name }, spec } }),
    /** A merge patch, as `kubectl patch rsp NAME --type merge -p …` sends it. */
    patch: (name: string, body: unknown) => custom.patchNamespacedCustomObject({ ...ref, name, body }, mergePatch),
    get: async (name: string) => (await custom.getNamespacedCustomObject({ ...ref, name })) as { metadata: { generation: number }; status?: ResizePolicyStatus },
    status: async (name: string) => ((await custom.getNamespacedCustomObject({ ...ref, name })) as { status?: ResizePolicyStatus }).status ?? {},
  };
}

/** A canary policy for Deployment `web` with fast test timings; `over` is merged into updateStrategy. */
export function canarySpec(updateStrategy: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    metrics: { historyWindow: '1d', step: '5m', minimumData: { samples: 50, span: '12h' } },
    ...extra,
    updateStrategy: { type: 'Canary', cooldown: '1h', notReadyGrace: '5s', ...updateStrategy },
  };
}

export interface PodState {
  name: string;
  uid: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
  /** What the kubelet reports the container runs with. */
  actual?: { requests?: Record<string, string>; limits?: Record<string, string> };
  cycle?: string;
  originals?: Record<string, { requests?: Record<string, string>; limits?: Record<string, string> }>;
  restarts: number;
  ready: boolean;
}

export function podState(p: V1Pod, container = 'app'): PodState {
  const spec = p.spec!.containers.find((c) => c.name === container)!;
  const st = p.status?.containerStatuses?.find((s) => s.name === container);
  const rec = decodeRecord(p.metadata?.annotations);
  return {
    name: p.metadata!.name!,
    uid: p.metadata!.uid!,
    requests: { ...(spec.resources?.requests ?? {}) },
    limits: { ...(spec.resources?.limits ?? {}) },
    ...(st?.resources ? { actual: { ...(st.resources.requests ? { requests: { ...st.resources.requests } } : {}), ...(st.resources.limits ? { limits: { ...st.resources.limits } } : {}) } } : {}),
    ...(p.metadata?.annotations?.[Annotation.cycle] ? { cycle: p.metadata.annotations[Annotation.cycle] } : {}),
    ...(rec.state === 'ok' ? { originals: rec.record.originals } : {}),
    restarts: st?.restartCount ?? 0,
    ready: p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
  };
}

/** The namespace's running pods (not being deleted), by name. */
export async function pods(c: Clients, namespace: string): Promise<PodState[]> {
  const list = await c.core.listNamespacedPod({ namespace });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
    .map((p) => podState(p))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Events with `reason` in the namespace (on pods and on policies). */
export async function events(c: Clients, namespace: string, reason: string): Promise<CoreV1Event[]> {
  return (await c.core.listNamespacedEvent({ namespace, fieldSelector: `reason=${reason}` })).items;
}

export const ORIGINAL = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };

/** True when the pod runs its template size (1 CPU / 1Gi, limits 2 / 2Gi), spec and kubelet alike. */
export function atOriginal(p: PodState): boolean {
  return p.requests.cpu === '1' && p.requests.memory === '1Gi' && p.limits.cpu === '2' && p.limits.memory === '2Gi';
}

export { eventually };

// --- helpers of the safety tests (test/e2e/canary-safety.test.ts) --------------------------------

export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

const byValue = (list: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(list ?? {}).map(([k, v]) => [k, String(k === 'cpu' ? toMillicores(v) : k === 'memory' ? toBytes(v) : v)]));

/** Resources compared by value ('1000m' is '1', '1024Mi' is '1Gi'): for expect(...).toEqual. */
export function resourcesByValue(r: Resources | undefined): { requests: Record<string, string>; limits: Record<string, string> } {
  return { requests: byValue(r?.requests), limits: byValue(r?.limits) };
}

/** The pod's spec and what the kubelet reports it runs with, both equal to `want` by value. */
export function runsWith(p: PodState, want: Resources): boolean {
  const w = JSON.stringify(resourcesByValue(want));
  return JSON.stringify(resourcesByValue(p)) === w && JSON.stringify(resourcesByValue(p.actual)) === w;
}

/** Merge-patches the pod's annotations (`null` removes one), as `kubectl annotate --overwrite` does. */
export async function annotatePod(c: Clients, namespace: string, name: string, annotations: Record<string, string | null>): Promise<V1Pod> {
  return c.core.patchNamespacedPod({ name, namespace, body: { metadata: { annotations } } }, mergePatch);
}

/** What an e2e test needs to know of every pod of a namespace to tell later that it was never touched. */
export async function podShapes(c: Clients, namespace: string): Promise<Array<{ name: string; uid: string; generation: number; resources: string; attune: string[] }>> {
  const list = await c.core.listNamespacedPod({ namespace });
  return list.items
    .map((p) => ({
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      generation: p.metadata!.generation ?? 0,
      resources: JSON.stringify(p.spec!.containers.map((x) => x.resources)),
      attune: Object.keys(p.metadata?.annotations ?? {}).filter((k) => k.startsWith('attune.dev/')).sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface PodWatch {
  /** The local time and the pod of the first watch event `test` accepted. */
  seen: Promise<{ atMs: number; pod: V1Pod }>;
  stop(): void;
}

/**
 * Watches one pod (from its current state on) and notes the local time of the first event whose
 * pod `test` accepts: when a watcher, such as the operator's, first sees that state. Resolves when
 * the watch is established; a watch the server or an idle timeout ends is resumed from the last
 * resourceVersion. `seen` rejects after `timeoutMs`.
 */
export async function watchPod(c: Clients, namespace: string, name: string, test: (p: V1Pod) => boolean, timeoutMs = 120_000): Promise<PodWatch> {
  const watch = new Watch(c.kc);
  let stopped = false;
  let abort: AbortController | undefined;
  let resourceVersion: string | undefined;
  let resolve!: (v: { atMs: number; pod: V1Pod }) => void;
  let reject!: (e: Error) => void;
  const seen = new Promise<{ atMs: number; pod: V1Pod }>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  seen.catch(() => undefined); // the caller awaits it; an unobserved rejection must not fail the run
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    abort?.abort();
  };
  const timer = setTimeout(() => {
    reject(new Error(`pod ${namespace}/${name}: no watch event matched within ${timeoutMs} ms`));
    stop();
  }, timeoutMs);
  const start = async (): Promise<void> => {
    abort = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { fieldSelector: `metadata.name=${name}`, ...(resourceVersion ? { resourceVersion } : {}) },
      (type, obj: V1Pod) => {
        if (type === 'ERROR') resourceVersion = undefined; // expired: resume from the current state
        if (stopped || (type !== 'ADDED' && type !== 'MODIFIED')) return;
        resourceVersion = obj.metadata?.resourceVersion;
        if (test(obj)) {
          resolve({ atMs: Date.now(), pod: obj });
          stop();
        }
      },
      (err: unknown) => {
        if ((err as { statusCode?: number } | null)?.statusCode === 410) resourceVersion = undefined;
        if (!stopped) setTimeout(() => void start().catch((e: unknown) => reject(e instanceof Error ? e : new Error(String(e)))), 100);
      },
    );
  };
  await start();
  return { seen, stop };
}

/**
 * The hooks of a canary e2e file: one environment running `fixture` and one operator for the
 * whole file; after a failed test, the operator's last log lines (its own account of what it
 * did); ATTUNE_E2E_LOG=<file> appends the whole log there. Read the returned getters inside tests.
 */
export function useCanaryEnv(fixture: string): { env: () => CanaryEnv; op: () => RunningOperator } {
  let e: CanaryEnv | undefined;
  let op: RunningOperator | undefined;
  beforeAll(async () => {
    e = await startCanaryEnv(fixture);
    op = await e.operator();
  }, 300_000);
  afterEach((ctx) => {
    if (!op) return;
    if (ctx.task.result?.state === 'fail') console.log(op.log().split('\n').slice(-80).join('\n'));
    if (process.env.ATTUNE_E2E_LOG) appendFileSync(process.env.ATTUNE_E2E_LOG, op.log());
  });
  afterAll(async () => {
    await e?.stop();
  });
  return { env: () => e!, op: () => op! };
}
