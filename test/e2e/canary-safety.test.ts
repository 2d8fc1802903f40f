// The canary's safety checks end to end (issue 5): the real operator process as its ServiceAccount,
// the simulated kubelet actuating resizes and injecting faults into the canary pod while it is
// observed, Prometheus with a day of history. Each test owns a namespace of
// test/e2e/fixtures/canary-safety.yaml (Deployment `web`: requests 1 CPU / 1Gi, limits 2 / 2Gi,
// usage ≈ 250m / 256Mi, so the recommendation lowers both) and checks, on cluster state, that the
// violation puts the canary pod back at exactly its recorded originals (spec and what the kubelet
// runs), that history, events and conditions say why, and that no other pod was touched.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { startPrometheus } from '../../hack/prometheus/prometheus.ts';
import type { ResizePolicyStatus } from '../../src/api/status.ts';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import {
  annotatePod,
  atOriginal,
  canarySpec,
  events,
  eventually,
  ORIGINAL,
  podShapes,
  pods,
  podState,
  resourcesByValue,
  rspClient,
  runsWith,
  watchPod,
  type PodState,
  useCanaryEnv,
} from '../support/canary.ts';
import { condition } from '../support/operator.ts';

const file = useCanaryEnv('canary-safety.yaml');


/** Long enough to inject a fault and see the revert well inside it; every test waits for its end at most once. */
const OBSERVE_S = 40;
/** One canary pod out of four; a fault of any kind is one violation (restartThreshold 1); NotReady tolerated 5 s. */
const policy = (extra: Record<string, unknown> = {}) =>
  canarySpec({ canary: { percentage: 25, observationPeriod: `${OBSERVE_S}s`, autoPromote: true }, restartThreshold: 1, notReadyGrace: '5s' }, extra);

const cpuMillis = (q: string | undefined) => Number(toMillicores(q ?? 'NaN'));
const bytes = (q: string | undefined) => Number(toBytes(q ?? 'NaN'));
const appStatus = (p: V1Pod) => p.status?.containerStatuses?.find((s) => s.name === 'app');
const specAt = (p: PodState, want: typeof ORIGINAL) => JSON.stringify(resourcesByValue(p)) === JSON.stringify(resourcesByValue(want));

/**
 * Creates the policy and waits for its one canary pod to be resized and applied: its spec differs
 * from the template, it carries the attune record with the template's size as originals, and the
 * kubelet reports the new size. Returns that pod and the namespace's other pods as they were.
 */
async function canaryApplied(ns: string, spec: Record<string, unknown>) {
  const rsp = rspClient(file.env().c, ns);
  const before = await podShapes(file.env().c, ns);
  expect(before).toHaveLength(4);
  for (const p of before) expect(p).toMatchObject({ generation: 1, attune: [] });
  await rsp.create('web', spec);
  const canary = await eventually(async () => {
    const s = await rsp.status('web');
    expect(s.canary).toMatchObject({ phase: 'CanaryInProgress', podCount: 1 });
    const resized = (await pods(file.env().c, ns)).filter((p) => !atOriginal(p));
    expect(resized.map((p) => p.name)).toEqual(s.canary!.pods);
    const p = resized[0]!;
    expect(p.originals).toEqual({ app: ORIGINAL });
    expect(p.cycle).toMatch(/^g1-/);
    expect(resourcesByValue(p.actual)).toEqual(resourcesByValue(p));
    expect(p.ready).toBe(true);
    return p;
  }, 120_000);
  const others = before.filter((p) => p.name !== canary.name);
  expect(others).toHaveLength(before.length - 1);
  return { rsp, canary, others };
}

/** The namespace's other pods: same pods (not replaced), generation 1, no attune record, template resources. */
async function expectUntouched(ns: string, others: Awaited<ReturnType<typeof podShapes>>) {
  const now = await podShapes(file.env().c, ns);
  for (const o of others) expect(now.find((p) => p.name === o.name)).toEqual(o);
}

/**
 * docs/canary.md puts the operator's events on the policy, naming the pod; the controller records
 * an event about a pod on the pod (`kubectl describe pod`), naming the policy. Either names both.
 */
const aboutPodOrPolicy = (ev: CoreV1Event, pod: string) =>
  (ev.involvedObject.kind === 'Pod' && ev.involvedObject.name === pod && (ev.message ?? '').includes('ResizePolicy ')) ||
  (ev.involvedObject.kind === 'ResizePolicy' && ev.involvedObject.name === 'web');

/** The canary pod's revert: spec and kubelet back at the originals, the history entry, the Warning event. */
async function expectReverted(ns: string, rsp: ReturnType<typeof rspClient>, canary: PodState, reason: string): Promise<ResizePolicyStatus> {
  const resized = { requests: canary.requests, limits: canary.limits };
  const status = await eventually(async () => {
    const p = (await pods(file.env().c, ns)).find((x) => x.name === canary.name)!;
    expect(p.uid).toBe(canary.uid); // resized back in place, not replaced
    expect(runsWith(p, ORIGINAL)).toBe(true);
    const s = await rsp.status('web');
    expect(s.resizeHistory?.filter((h) => h.pod === canary.name && h.result === 'Reverted')).toHaveLength(1);
    return s;
  }, 60_000);
  const entry = status.resizeHistory!.find((h) => h.pod === canary.name && h.result === 'Reverted')!;
  expect(entry).toMatchObject({ container: 'app', reason, cycle: canary.cycle });
  expect(resourcesByValue(entry.from)).toEqual(resourcesByValue(resized));
  expect(resourcesByValue(entry.to)).toEqual(resourcesByValue(ORIGINAL));
  // One resize and one revert, of the canary pod only.
  expect(status.resizeHistory!.map((h) => `${h.pod} ${h.result}`)).toEqual([`${canary.name} Resized`, `${canary.name} Reverted`]);
  const reverted = (await events(file.env().c, ns, 'Reverted')).filter((x) => x.message?.includes(canary.name));
  expect(reverted).toHaveLength(1);
  expect(reverted[0]!.type).toBe('Warning');
  expect(aboutPodOrPolicy(reverted[0]!, canary.name)).toBe(true);
  expect(reverted[0]!.message).toContain(reason);
  return status;
}

/** Past the observation end the cycle is not promoted: the decision says PromotionBlocked (which it reports only once the observation is over). */
async function expectPromotionBlocked(ns: string, rsp: ReturnType<typeof rspClient>, canaryName: string) {
  const s = await eventually(async () => {
    const s = await rsp.status('web');
    expect(condition(s, 'Resizing')).toMatchObject({ status: 'True', reason: 'PromotionBlocked' });
    return s;
  }, (OBSERVE_S + 60) * 1000);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(s.canary!.observationEnd!));
  expect(s.canary).toMatchObject({ phase: 'CanaryInProgress', pods: [canaryName] });
  expect(condition(s, 'Resizing')!.message).toContain(canaryName);
  expect(await events(file.env().c, ns, 'Promoted')).toHaveLength(0);
}

/** A fault token nobody used before (the kubelet acts on each new token once). */
let tokens = 0;
const token = () => `safety-${process.pid}-${++tokens}`;

describe('Canary safety: a violation during the observation reverts the canary pod', () => {
  it('undersized memory: the canary pod is OOMKilled → reverted to its originals, promotion blocked, the others untouched', async () => {
    const ns = 'safety-oom';
    const { rsp, canary, others } = await canaryApplied(ns, policy());
    // The recommendation lowered memory (request and limit): the originals have more.
    expect(bytes(canary.requests.memory)).toBeLessThan(2 ** 30);
    expect(bytes(canary.limits.memory)).toBeLessThan(2 * 2 ** 30);

    // Clock: from the kubelet's OOMKilled status being accepted by the apiserver to a watch seeing
    // the pod's spec back at the originals.
    let oomPublishedAt: number | undefined;
    const unsubscribe = file.env().env.kubelet.onStatusPublished((w) => {
      if (w.namespace !== ns || w.name !== canary.name || oomPublishedAt !== undefined) return;
      const s = appStatus(w.pod);
      if (s?.lastState?.terminated?.reason === 'OOMKilled' && s.restartCount === canary.restarts + 1) oomPublishedAt = w.atMs;
    });
    const back = await watchPod(file.env().c, ns, canary.name, (p) => specAt(podState(p), ORIGINAL));
    try {
      await annotatePod(file.env().c, ns, canary.name, { 'sim.attune.dev/oom': `${token()}:app` });
      const { atMs: revertSeenAt, pod } = await back.seen;
      expect(oomPublishedAt).toBeDefined();
      // The revert answers the OOM kill: the pod it reverted had restarted once.
      expect(appStatus(pod)?.restartCount).toBe(canary.restarts + 1);
      expect(appStatus(pod)?.lastState?.terminated?.reason).toBe('OOMKilled');
      const latency = revertSeenAt - oomPublishedAt!;
      console.log(`[canary-safety] OOMKilled status published → pod spec back at the originals seen by a watch: ${latency} ms`);
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThan(5_000);
    } finally {
      unsubscribe();
      back.stop();
    }

    const status = await expectReverted(ns, rsp, canary, 'oomkill');
    expect(status.resizeHistory!.at(-1)!.message).toMatch(/OOMKilled/);
    await expectPromotionBlocked(ns, rsp, canary.name);
    // Still at the originals after the observation (not resized again in this cycle), the only pod ever resized.
    const after = (await pods(file.env().c, ns)).find((p) => p.name === canary.name)!;
    expect(runsWith(after, ORIGINAL)).toBe(true);
    expect(after.restarts).toBe(canary.restarts + 1);
    expect((await rsp.status('web')).resizeHistory).toHaveLength(2);
    expect(await events(file.env().c, ns, 'Resized')).toHaveLength(1);
    await expectUntouched(ns, others);
  });

  it('restart spike: the canary container crashes once (restartThreshold 1) → reverted with reason restart', async () => {
    const ns = 'safety-restart';
    const { rsp, canary, others } = await canaryApplied(ns, policy());
    await annotatePod(file.env().c, ns, canary.name, { 'sim.attune.dev/crash': `${token()}:app` });
    // The kubelet shows the exit (Error, not an OOM kill) …
    await eventually(async () => {
      const p = await file.env().c.core.readNamespacedPod({ namespace: ns, name: canary.name });
      expect(appStatus(p)).toMatchObject({ restartCount: canary.restarts + 1, lastState: { terminated: { reason: 'Error', exitCode: 1 } } });
    }, 30_000);
    // … and the operator reverts the pod for the restart.
    const status = await expectReverted(ns, rsp, canary, 'restart');
    expect(status.resizeHistory!.at(-1)!.message).toMatch(/restarted 1 time/);
    expect(condition(status, 'Resizing')?.message).toMatch(/promotion blocked/);
    await expectUntouched(ns, others);
  });

  it('sustained NotReady: CPU demand above the new limit throttles the canary pod NotReady → reverted (notready), Ready again at its originals', async () => {
    const ns = 'safety-notready';
    const { rsp, canary, others } = await canaryApplied(ns, policy());
    // A demand between the canary's CPU limit and the original limit of 2 CPUs: throttled (and
    // NotReady, the profile's readiness threshold being 10 %) at the new size, not at the original.
    const newLimit = cpuMillis(canary.limits.cpu);
    const demand = Math.min(Math.round(newLimit * 1.5), 1_800);
    expect(1 - newLimit / demand).toBeGreaterThan(0.15);
    expect(demand).toBeLessThan(cpuMillis(ORIGINAL.limits.cpu));
    const profile = JSON.stringify({
      containers: { app: { cpu: { base: `${demand}m` }, memory: { base: '256Mi', noise: 0.02 }, readiness: { notReadyWhenThrottledAbove: 0.1 } } },
    });
    const notReady = await watchPod(file.env().c, ns, canary.name, (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
    const back = await watchPod(file.env().c, ns, canary.name, (p) => specAt(podState(p), ORIGINAL));
    let notReadyAt: number;
    let revertSeenAt: number;
    try {
      await annotatePod(file.env().c, ns, canary.name, { 'sim.attune.dev/profile': profile });
      ({ atMs: notReadyAt } = await notReady.seen);
      const seen = await back.seen;
      revertSeenAt = seen.atMs;
      // Reverted while NotReady, for being NotReady: nothing restarted.
      expect(podState(seen.pod).ready).toBe(false);
      expect(appStatus(seen.pod)?.restartCount).toBe(canary.restarts);
    } finally {
      notReady.stop();
      back.stop();
    }
    // Not before the grace of 5 s (the Ready condition's transition time has whole seconds).
    expect(revertSeenAt - notReadyAt).toBeGreaterThanOrEqual(4_000);
    const status = await expectReverted(ns, rsp, canary, 'notready');
    expect(status.resizeHistory!.at(-1)!.message).toMatch(/NotReady/);
    // At the original limit the demand is not throttled: the pod is Ready again, same pod, no restart.
    await eventually(async () => {
      const p = (await pods(file.env().c, ns)).find((x) => x.name === canary.name)!;
      expect(p).toMatchObject({ uid: canary.uid, ready: true, restarts: canary.restarts });
      expect(runsWith(p, ORIGINAL)).toBe(true);
    }, 30_000);
    await expectUntouched(ns, others);
  });

  it('Infeasible on the kubelet: a memory increase the Node object has room for but the kubelet cannot admit → failed, reported, put back; nothing else touched', async () => {
    const ns = 'safety-infeasible';
    const node = 'node-2';
    // node-2's kubelet now admits against 1100Mi of memory (restarted with a larger system-reserved);
    // its Node object still shows the registered 32Gi, which is what the operator checks room against.
    file.env().env.kubelet.setAdmissionAllocatable(node, { cpu: '16', memory: '1100Mi' });
    try {
      const nodeObj = await file.env().c.core.readNode({ name: node });
      expect(bytes(nodeObj.status?.allocatable?.memory)).toBe(32 * 2 ** 30);
      const infeasible: Array<{ pod: string; message: string }> = [];
      const unsubscribe = file.env().env.kubelet.onStatusPublished((w) => {
        if (w.namespace !== ns) return;
        const c = w.pod.status?.conditions?.find((x) => x.type === 'PodResizePending');
        if (c?.reason === 'Infeasible') infeasible.push({ pod: w.name, message: c.message ?? '' });
      });
      const rsp = rspClient(file.env().c, ns);
      const before = await podShapes(file.env().c, ns);
      expect(before).toHaveLength(2);
      for (const p of before) expect(p).toMatchObject({ generation: 1, attune: [] });
      const placed = await file.env().c.core.listNamespacedPod({ namespace: ns });
      for (const p of placed.items) expect(p.spec?.nodeName).toBe(node);
      let status: ResizePolicyStatus;
      try {
        await rsp.create('web', policy());
        status = await eventually(async () => {
          const s = await rsp.status('web');
          expect(s.resizeHistory?.some((h) => h.result === 'Infeasible' || h.result === 'Failed')).toBe(true);
          return s;
        }, 120_000);
      } finally {
        unsubscribe();
      }
      const failed = status.resizeHistory!.find((h) => h.result === 'Infeasible' || h.result === 'Failed')!;
      const target = failed.pod;
      expect(status.canary).toMatchObject({ phase: 'CanaryInProgress', pods: [target] });
      // The attempt raised the memory request past what the kubelet admits (and the Node has room for).
      const resized = status.resizeHistory!.find((h) => h.pod === target && h.result === 'Resized')!;
      expect(resized).toBeDefined();
      expect(bytes(resized.to?.requests?.memory)).toBeGreaterThan(1100 * 2 ** 20);
      expect(bytes(resized.to?.requests?.memory)).toBeGreaterThan(2 ** 30);
      expect(failed).toMatchObject({ container: 'app', reason: 'infeasible', cycle: resized.cycle });
      expect(resourcesByValue(failed.from)).toEqual(resourcesByValue(resized.to));
      // The kubelet said Infeasible (PodResizePending), naming memory …
      expect(infeasible.filter((x) => x.pod === target).length).toBeGreaterThan(0);
      expect(infeasible.find((x) => x.pod === target)!.message).toMatch(/didn't have enough capacity: memory/);
      expect(infeasible.every((x) => x.pod === target)).toBe(true);
      // … the operator reported the failure …
      const failedEvents = (await events(file.env().c, ns, 'ResizeFailed')).filter((x) => x.message?.includes(target));
      expect(failedEvents).toHaveLength(1);
      expect(failedEvents[0]!.type).toBe('Warning');
      expect(aboutPodOrPolicy(failedEvents[0]!, target)).toBe(true);
      expect(failedEvents[0]!.message).toMatch(/infeasible/i);
      // … and put the pod back: spec, kubelet and conditions as before the attempt.
      const original = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } };
      expect(resourcesByValue(failed.to)).toEqual(resourcesByValue(original));
      await eventually(async () => {
        const p = await file.env().c.core.readNamespacedPod({ namespace: ns, name: target });
        const st = podState(p);
        expect(st.uid).toBe(before.find((x) => x.name === target)!.uid);
        expect(runsWith(st, original)).toBe(true);
        expect(st.originals).toEqual({ app: original });
        expect(p.status?.conditions?.find((c) => c.type === 'PodResizePending')).toBeUndefined();
        expect(p.status?.observedGeneration).toBe(p.metadata?.generation);
      }, 60_000);
      // Only that pod was ever resized: one attempt, one failure.
      const final = await rsp.status('web');
      expect(final.resizeHistory!.map((h) => `${h.pod} ${h.result}`)).toEqual([`${target} Resized`, `${target} ${failed.result}`]);
      await expectUntouched(ns, before.filter((p) => p.name !== target));
    } finally {
      file.env().env.kubelet.setAdmissionAllocatable(node, undefined);
    }
  });

  it('onMetricUnavailable: revert — Prometheus stops during the observation → the canary pod is reverted (metricunavailable), Resizing False MetricsUnavailable', async () => {
    const ns = 'safety-metrics';
    const { rsp, canary, others } = await canaryApplied(ns, policy({ onMetricUnavailable: 'revert' }));
    const { port, tsdbDir } = file.env().env.prometheus;
    await file.env().env.prometheus.stop();
    try {
      const held = await eventually(async () => {
        const s = await rsp.status('web');
        expect(condition(s, 'Resizing')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
        expect(condition(s, 'MetricsAvailable')).toMatchObject({ status: 'False' });
        return s;
      }, 60_000);
      expect(Date.now()).toBeLessThan(Date.parse(held.canary!.observationEnd!)); // it happened during the observation
      const status = await expectReverted(ns, rsp, canary, 'metricunavailable');
      expect(condition(status, 'Resizing')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
      await expectUntouched(ns, others);
    } finally {
      file.env().env.prometheus = await startPrometheus({ runDir: join(tsdbDir, '..'), scrapeTargets: [file.env().env.kubelet.metricsAddress], port, scrapeIntervalS: 5 });
    }
    // Metrics back: the reverted pod stays at its originals and the cycle is not promoted.
    await eventually(async () => expect(condition(await rsp.status('web'), 'MetricsAvailable')).toMatchObject({ status: 'True' }), 60_000);
    await expectPromotionBlocked(ns, rsp, canary.name);
    expect(runsWith((await pods(file.env().c, ns)).find((p) => p.name === canary.name)!, ORIGINAL)).toBe(true);
    await expectUntouched(ns, others);
  });
});
