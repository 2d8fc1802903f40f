// Canary and Auto modes end to end on the local cluster (issue 5 §9): the real operator process as
// its ServiceAccount, the simulated kubelet actuating resizes, Prometheus with a day of history.
// Each test owns a namespace of test/e2e/fixtures/canary-lifecycle.yaml (Deployment `web`, usage
// ≈ 250m / 256Mi against requests of 1 CPU / 1Gi).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import { atOriginal, canarySpec, events, eventually, pods, rspClient, startCanaryEnv, type CanaryEnv } from '../support/canary.ts';
import { condition, type RunningOperator } from '../support/operator.ts';

let e: CanaryEnv;
let op: RunningOperator;

beforeAll(async () => {
  e = await startCanaryEnv('canary-lifecycle.yaml');
  op = await e.operator();
}, 300_000);

afterEach((ctx) => {
  // On failure, the operator's own account of what it did is the first thing to read.
  if (ctx.task.result?.state === 'fail') console.log(op.log().split('\n').slice(-80).join('\n'));
});

afterAll(async () => {
  await e?.stop();
});

const smaller = (p: { requests: Record<string, string> }) => Number(toMillicores(p.requests.cpu!)) < 1000 && Number(toBytes(p.requests.memory!)) < 2 ** 30;

describe('Canary mode', () => {
  it('oversized workload: canary pods resized, observed, promoted, then every pod — and a later pod too', async () => {
    const ns = 'promote';
    const rsp = rspClient(e.c, ns);
    await rsp.create('web', canarySpec({ canary: { percentage: 30, observationPeriod: '15s', autoPromote: true } }));

    // First wave: ceil(30 % × 6) = 2 pods, recorded in status.canary.pods, resized and recorded on the pods.
    const first = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.canary).toMatchObject({ phase: 'CanaryInProgress', podCount: 2 });
      const resized = (await pods(e.c, ns)).filter((p) => !atOriginal(p));
      expect(resized.map((p) => p.name).sort()).toEqual([...s.canary!.pods!].sort());
      return { status: s, resized };
    }, 90_000);
    for (const p of first.resized) {
      expect(smaller(p)).toBe(true);
      expect(p.originals).toEqual({ app: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } } });
      expect(p.cycle).toMatch(/^g1-/);
    }
    // The two canary pods are on different nodes (spread), and the other four are untouched.
    const all = await e.c.core.listNamespacedPod({ namespace: ns });
    const nodesOf = new Set(all.items.filter((p) => first.status.canary!.pods!.includes(p.metadata!.name!)).map((p) => p.spec!.nodeName));
    expect(nodesOf.size).toBe(2);
    expect((await pods(e.c, ns)).filter(atOriginal)).toHaveLength(4);
    expect(first.status.resizeHistory?.filter((h) => h.result === 'Resized')).toHaveLength(2);

    // Observation passes without a revert → FullRollout → every pod at the canary's size.
    const promoted = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.canary?.phase).toBe('FullRollout');
      const now = await pods(e.c, ns);
      expect(now).toHaveLength(6);
      for (const p of now) {
        expect(p.requests).toEqual(first.resized[0]!.requests);
        // Applied by the kubelet, not just requested.
        expect(p.actual?.requests).toEqual(p.requests);
      }
      return s;
    }, 120_000);
    expect(condition(promoted, 'Resizing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect((await events(e.c, ns, 'Promoted')).length).toBe(1);
    expect((await events(e.c, ns, 'Resized')).length).toBeGreaterThanOrEqual(6);
    expect(promoted.resizeHistory?.filter((h) => h.result === 'Resized')).toHaveLength(6);
    expect(promoted.resizeHistory?.filter((h) => h.result !== 'Resized')).toEqual([]);

    // Scale-up: the new pods get the promoted size once Ready, recorded like any resized pod.
    await e.c.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas: 8 } } }, setMerge);
    await eventually(async () => {
      const now = await pods(e.c, ns);
      expect(now).toHaveLength(8);
      for (const p of now) {
        expect(p.requests).toEqual(first.resized[0]!.requests);
        expect(p.originals?.app?.requests).toEqual({ cpu: '1', memory: '1Gi' });
      }
    }, 90_000);
  });
});

import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
const setMerge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
