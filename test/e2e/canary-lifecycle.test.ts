// Canary and Auto modes end to end on the local cluster (issue 5 §9): the real operator process as
// its ServiceAccount, the simulated kubelet actuating resizes, Prometheus with a day of history.
// Each test owns a namespace of test/e2e/fixtures/canary-lifecycle.yaml (Deployment `web`, usage
// ≈ 250m / 256Mi against requests of 1 CPU / 1Gi).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { resolveBinaries } from '../../hack/cluster/binaries.ts';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import { atOriginal, canarySpec, events, eventually, pods, rspClient, useCanaryEnv } from '../support/canary.ts';
import { condition } from '../support/operator.ts';

const file = useCanaryEnv('canary-lifecycle.yaml');


const setMerge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const run = promisify(execFile);
/** The operator's counters, from its /metrics. */
const counter = async (name: string) => Number(new RegExp(`^attune_${name} (\\d+)$`, 'm').exec(await (await fetch(`http://${file.op().address()}/metrics`)).text())?.[1] ?? NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const smaller = (p: { requests: Record<string, string> }) => Number(toMillicores(p.requests.cpu!)) < 1000 && Number(toBytes(p.requests.memory!)) < 2 ** 30;

describe('Canary mode', () => {
  it('oversized workload: canary pods resized, observed, promoted, then every pod — and a later pod too', async () => {
    const ns = 'promote';
    const rsp = rspClient(file.env().c, ns);
    await rsp.create('web', canarySpec({ canary: { percentage: 30, observationPeriod: '15s', autoPromote: true } }));

    // First wave: ceil(30 % × 6) = 2 pods, recorded in status.canary.pods, resized and recorded on the pods.
    const first = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.canary).toMatchObject({ phase: 'CanaryInProgress', podCount: 2 });
      const resized = (await pods(file.env().c, ns)).filter((p) => !atOriginal(p));
      expect(resized.map((p) => p.name).sort()).toEqual([...s.canary!.pods!].sort());
      return { status: s, resized };
    }, 90_000);
    for (const p of first.resized) {
      expect(smaller(p)).toBe(true);
      expect(p.originals).toEqual({ app: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } });
      expect(p.cycle).toMatch(/^g1-/);
    }
    // The two canary pods are on different nodes (spread), and the other four are untouched.
    const all = await file.env().c.core.listNamespacedPod({ namespace: ns });
    const nodesOf = new Set(all.items.filter((p) => first.status.canary!.pods!.includes(p.metadata!.name!)).map((p) => p.spec!.nodeName));
    expect(nodesOf.size).toBe(2);
    expect((await pods(file.env().c, ns)).filter(atOriginal)).toHaveLength(4);
    expect(first.status.resizeHistory?.filter((h) => h.result === 'Resized')).toHaveLength(2);

    // Observation passes without a revert → FullRollout → every pod at the canary's size.
    const resizedSeenAt = Date.now();
    let promotedSeenAt = 0;
    const promoted = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.canary?.phase).toBe('FullRollout');
      promotedSeenAt ||= Date.now();
      const now = await pods(file.env().c, ns);
      expect(now).toHaveLength(6);
      for (const p of now) {
        expect(p.requests).toEqual(first.resized[0]!.requests);
        // Applied by the kubelet, not just requested.
        expect(p.actual?.requests).toEqual(p.requests);
      }
      return s;
    }, 120_000);
    // The canary pods were watched a whole observation period from their resize (the cycle's
    // clock is read after the first Prometheus read, not before).
    expect(promotedSeenAt - resizedSeenAt).toBeGreaterThanOrEqual(15_000 - 1_000);
    expect(condition(promoted, 'Resizing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect((await events(file.env().c, ns, 'Promoted')).length).toBe(1);
    expect((await events(file.env().c, ns, 'Resized')).length).toBeGreaterThanOrEqual(6);
    expect(promoted.resizeHistory?.filter((h) => h.result === 'Resized')).toHaveLength(6);
    expect(promoted.resizeHistory?.filter((h) => h.result !== 'Resized')).toEqual([]);

    // Scale-up: the new pods get the promoted size once Ready, recorded like any resized pod.
    await file.env().c.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas: 8 } } }, setMerge);
    await eventually(async () => {
      const now = await pods(file.env().c, ns);
      expect(now).toHaveLength(8);
      for (const p of now) {
        expect(p.requests).toEqual(first.resized[0]!.requests);
        expect(p.originals?.app?.requests).toEqual({ cpu: '1', memory: '1Gi' });
      }
    }, 90_000);
  });

  it('a spec edit starts a new cycle: the observation timer restarts and the canary is observed again', async () => {
    const ns = 'spec-edit';
    const rsp = rspClient(file.env().c, ns);
    await rsp.create('web', canarySpec({ canary: { percentage: 25, observationPeriod: '8s', autoPromote: false } }));
    // The observation passes; autoPromote is off, so it waits for a promotion.
    const waiting = await eventually(async () => {
      const s = await rsp.status('web');
      expect(condition(s, 'Resizing')).toMatchObject({ status: 'True', reason: 'AwaitingPromotion' });
      return s;
    }, 90_000);
    const canaryPod = waiting.canary!.pods![0]!;
    const before = (await pods(file.env().c, ns)).find((p) => p.name === canaryPod)!;
    expect(before.cycle).toMatch(/^g1-/);

    // Turning autoPromote on is an edit: a new cycle (generation 2) starts at once and observes
    // the canary pod again for a whole period before promoting.
    const editedAt = Date.now();
    await rsp.patch('web', { spec: { updateStrategy: { canary: { autoPromote: true, observationPeriod: '12s' } } } });
    const restarted = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.observedGeneration).toBe(2);
      expect(s.canary?.phase).toBe('CanaryInProgress');
      expect(Date.parse(s.canary!.startTime!)).toBeGreaterThan(Date.parse(waiting.canary!.startTime!));
      const p = (await pods(file.env().c, ns)).find((x) => x.name === canaryPod)!;
      expect(p.cycle).toMatch(/^g2-/);
      return s;
    }, 30_000);
    const end = Date.parse(restarted.canary!.observationEnd!);
    // A whole period from the new start — from the pod's re-observation when that came later.
    expect(end - Date.parse(restarted.canary!.startTime!)).toBeGreaterThanOrEqual(12_000);
    expect(end).toBeGreaterThanOrEqual(editedAt + 11_000);
    // The originals on the pod are still the template's, not the first cycle's size.
    expect((await pods(file.env().c, ns)).find((x) => x.name === canaryPod)!.originals?.app?.requests).toEqual({ cpu: '1', memory: '1Gi' });

    // No promotion before the new observation end; then FullRollout.
    const promotedAt = await eventually(async () => {
      expect((await rsp.status('web')).canary?.phase).toBe('FullRollout');
      return Date.now();
    }, 90_000);
    expect(promotedAt).toBeGreaterThanOrEqual(end);
    await eventually(async () => {
      for (const p of await pods(file.env().c, ns)) expect(smaller(p)).toBe(true);
    }, 60_000);
  });

  it('switching to Recommend stops all resizing and leaves pods as they are', async () => {
    const ns = 'to-recommend';
    const rsp = rspClient(file.env().c, ns);
    await rsp.create('web', canarySpec({ canary: { percentage: 25, observationPeriod: '10s', autoPromote: true } }));
    await eventually(async () => expect((await pods(file.env().c, ns)).filter((p) => !atOriginal(p))).toHaveLength(1), 90_000);
    await rsp.patch('web', { spec: { updateStrategy: { type: 'Recommend' } } });
    await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.observedGeneration).toBe(2);
      expect(s.canary).toBeUndefined();
      expect(condition(s, 'Resizing')).toMatchObject({ status: 'False', reason: 'RecommendMode' });
    }, 30_000);
    const frozen = await file.env().c.core.listNamespacedPod({ namespace: ns });
    const shape = (l: typeof frozen) => l.items.map((p) => [p.metadata!.name, p.metadata!.generation, JSON.stringify(p.spec!.containers[0]!.resources), p.metadata!.annotations?.['attune.dev/cycle']]).sort();
    // Past the old observation end and through several reconciles (pod events, refreshes):
    // nothing is promoted, nothing reverted, nothing resized.
    const seen = await counter('reconciles');
    await sleep(15_000);
    expect(await counter('reconciles')).toBeGreaterThan(seen);
    expect(shape(await file.env().c.core.listNamespacedPod({ namespace: ns }))).toEqual(shape(frozen));
    expect((await pods(file.env().c, ns)).filter((p) => !atOriginal(p))).toHaveLength(1);
    expect((await rsp.status('web')).canary).toBeUndefined();
  });

  it('manual promotion with kubectl patch: switching to Auto resizes every pod', async () => {
    const ns = 'manual';
    const rsp = rspClient(file.env().c, ns);
    await rsp.create('web', canarySpec({ canary: { percentage: 25, observationPeriod: '5s', autoPromote: false } }));
    await eventually(async () => expect(condition(await rsp.status('web'), 'Resizing')).toMatchObject({ reason: 'AwaitingPromotion' }), 90_000);
    expect((await pods(file.env().c, ns)).filter(atOriginal)).toHaveLength(3);

    const { kubectl } = resolveBinaries();
    await run(kubectl, ['--kubeconfig', file.env().env.cluster.kubeconfig, '-n', ns, 'patch', 'rsp', 'web', '--type', 'merge', '-p', '{"spec":{"updateStrategy":{"type":"Auto"}}}']);
    await eventually(async () => {
      const now = await pods(file.env().c, ns);
      expect(now).toHaveLength(4);
      for (const p of now) {
        expect(smaller(p)).toBe(true);
        expect(p.actual?.requests).toEqual(p.requests);
        expect(p.cycle).toMatch(/^g2-/);
      }
      const s = await rsp.status('web');
      expect(s.canary).toMatchObject({ phase: 'FullRollout', podCount: 0 });
    }, 90_000);
  });
});
