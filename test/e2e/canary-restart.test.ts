// "Nothing lost" (design.md §2, issue 5 §9): the operator process is SIGKILLed in the middle of a
// cycle and started again. Everything it needs is on the pods (their attune records) and in the
// policy's status, so the new process finishes what the old one started: it promotes after the
// observation, reverts an OOMKill that happened while it was down, and completes a rollout it was
// killed in the middle of — and at no moment is a pod at a size without a record of its originals.
import { appendFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toBytes, toMillicores } from '../../src/core/quantity.ts';
import { atOriginal, canarySpec, eventually, pods, rspClient, startCanaryEnv, ORIGINAL, type CanaryEnv, type PodState } from '../support/canary.ts';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { RunningOperator } from '../support/operator.ts';

let e: CanaryEnv;
let op: RunningOperator | undefined;
const logs: string[] = [];

beforeAll(async () => {
  e = await startCanaryEnv('canary-restart.yaml');
}, 300_000);

afterEach((ctx) => {
  if (op) logs.push(op.log());
  if (ctx.task.result?.state === 'fail') console.log(logs.join('\n').split('\n').slice(-80).join('\n'));
  if (process.env.ATTUNE_E2E_LOG) appendFileSync(process.env.ATTUNE_E2E_LOG, logs.join('\n'));
  logs.length = 0;
  op?.stop();
  op = undefined;
});

afterAll(async () => {
  await e?.stop();
});

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const smaller = (p: PodState) => Number(toMillicores(p.requests.cpu!)) < 1000 && Number(toBytes(p.requests.memory!)) < 2 ** 30;

/** Kills the running operator without a chance to clean up, and starts a new one. */
async function killAndRestart(extra: string[] = []): Promise<void> {
  logs.push(op!.log());
  op!.process.kill('SIGKILL');
  await new Promise((r) => op!.process.once('exit', r));
  op = await e.operator(extra);
}

/** The invariant: a pod not at its template size carries a record whose originals are the template's. */
function assertRecorded(all: readonly PodState[]): void {
  for (const p of all) {
    if (atOriginal(p)) continue;
    expect(p.originals, `${p.name} runs ${JSON.stringify(p.requests)} without a record`).toEqual({ app: ORIGINAL });
    expect(p.cycle).toBeTruthy();
  }
}

describe('operator killed mid-cycle', () => {
  it('killed during the observation: the new process promotes when the observation ends', async () => {
    const ns = 'kill-observe';
    const rsp = rspClient(e.c, ns);
    op = await e.operator();
    await rsp.create('web', canarySpec({ canary: { percentage: 25, observationPeriod: '15s', autoPromote: true } }));
    const started = await eventually(async () => {
      const s = await rsp.status('web');
      expect(s.canary?.phase).toBe('CanaryInProgress');
      expect((await pods(e.c, ns)).filter((p) => !atOriginal(p))).toHaveLength(1);
      return s;
    }, 90_000);
    await killAndRestart();
    const all = await eventually(async () => {
      expect((await rsp.status('web')).canary?.phase).toBe('FullRollout');
      const now = await pods(e.c, ns);
      for (const p of now) expect(smaller(p)).toBe(true);
      return now;
    }, 120_000);
    assertRecorded(all);
    const s = await rsp.status('web');
    // Same cycle: the restart neither started another one nor resized the canary twice.
    expect(s.canary?.startTime).toBe(started.canary?.startTime);
    expect(s.resizeHistory?.filter((h) => h.result === 'Resized')).toHaveLength(4);
  });

  it('an OOMKill while the operator is down is reverted by the next process', async () => {
    const ns = 'kill-oom';
    const rsp = rspClient(e.c, ns);
    op = await e.operator();
    await rsp.create('web', canarySpec({ canary: { percentage: 25, observationPeriod: '10m', autoPromote: true } }));
    const canary = await eventually(async () => {
      const resized = (await pods(e.c, ns)).filter((p) => !atOriginal(p));
      expect(resized).toHaveLength(1);
      expect(resized[0]!.actual?.requests).toEqual(resized[0]!.requests); // applied by the kubelet
      return resized[0]!;
    }, 90_000);
    logs.push(op.log());
    op.process.kill('SIGKILL');
    await new Promise((r) => op!.process.once('exit', r));
    // OOM-kill the canary pod while nobody watches.
    await e.c.kc.makeApiClient(CoreV1Api).patchNamespacedPod({ name: canary.name, namespace: ns, body: { metadata: { annotations: { 'sim.attune.dev/oom': 'down-1:app' } } } }, mergePatch);
    await eventually(async () => expect((await pods(e.c, ns)).find((p) => p.name === canary.name)!.restarts).toBeGreaterThan(canary.restarts), 30_000);
    op = await e.operator();
    await eventually(async () => {
      const p = (await pods(e.c, ns)).find((x) => x.name === canary.name)!;
      expect(atOriginal(p)).toBe(true);
      const s = await rsp.status('web');
      expect(s.resizeHistory?.find((h) => h.pod === canary.name && h.result === 'Reverted')).toMatchObject({ reason: 'oomkill', container: 'app' });
    }, 60_000);
    // Promotion stays blocked, and nobody else was touched.
    expect((await pods(e.c, ns)).every(atOriginal)).toBe(true);
  });

  it('killed in the middle of a rollout: no pod is left at an unrecorded size, and the rollout completes', async () => {
    const ns = 'kill-rollout';
    const rsp = rspClient(e.c, ns);
    // Two resizes per pass, so the rollout of 12 pods spans several passes to be killed between.
    op = await e.operator(['--max-resizes-per-pass', '2']);
    await rsp.create('web', canarySpec({ type: 'Auto' }));
    let restarts = 0;
    // Kill it three times while pods are being resized, checking the invariant each time.
    while (restarts < 3) {
      const now = await pods(e.c, ns);
      assertRecorded(now);
      const resized = now.filter((p) => !atOriginal(p)).length;
      if (resized >= 2 * (restarts + 1) && resized < 12) {
        await killAndRestart(['--max-resizes-per-pass', '2']);
        restarts++;
        assertRecorded(await pods(e.c, ns));
      } else if (resized >= 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = await eventually(async () => {
      const now = await pods(e.c, ns);
      expect(now).toHaveLength(12);
      for (const p of now) {
        expect(smaller(p)).toBe(true);
        expect(p.actual?.requests).toEqual(p.requests);
      }
      return now;
    }, 120_000);
    assertRecorded(done);
    // One resize per pod in total: restarts did not resize anything twice.
    const s = await rsp.status('web');
    const perPod = new Map<string, number>();
    for (const h of s.resizeHistory ?? []) if (h.result === 'Resized') perPod.set(h.pod, (perPod.get(h.pod) ?? 0) + 1);
    expect([...perPod.values()].every((n) => n === 1)).toBe(true);
    expect(restarts).toBeGreaterThanOrEqual(1);
  });
});
