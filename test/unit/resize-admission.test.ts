// The kubelet's resize admission, actuation order and memory-limit check (pure).
import { describe, expect, it } from 'vitest';
import { actuationOrder, admitResize, amounts, memoryLimitDecreaseError, sum } from '../../hack/kubelet/resize-admission.ts';

const Gi = 2 ** 30;
const node = { cpuMillis: 4000, memoryBytes: 8 * Gi };

describe('amounts', () => {
  it.each([
    [{ cpu: '250m', memory: '1Gi' }, { cpuMillis: 250, memoryBytes: Gi }],
    [{ cpu: '1.5' }, { cpuMillis: 1500, memoryBytes: 0 }],
    [{ memory: '500M' }, { cpuMillis: 0, memoryBytes: 500_000_000 }],
    [undefined, { cpuMillis: 0, memoryBytes: 0 }],
  ])('%j → %j', (list, expected) => expect(amounts(list)).toEqual(expected));
  it('sums exactly', () => expect(sum([amounts({ cpu: '100m' }), amounts({ cpu: '200m' })]).cpuMillis).toBe(300));
});

describe('admitResize', () => {
  it.each([
    ['fits', { cpuMillis: 1000, memoryBytes: Gi }, { cpuMillis: 2000, memoryBytes: 2 * Gi }, 'Admit'],
    ['exactly fills the node', { cpuMillis: 1000, memoryBytes: Gi }, { cpuMillis: 3000, memoryBytes: 7 * Gi }, 'Admit'],
    ['other pods leave no cpu room', { cpuMillis: 3500, memoryBytes: 0 }, { cpuMillis: 600, memoryBytes: 0 }, 'Deferred'],
    ['other pods leave no memory room', { cpuMillis: 0, memoryBytes: 7 * Gi }, { cpuMillis: 100, memoryBytes: 2 * Gi }, 'Deferred'],
    ['more cpu than the node has', { cpuMillis: 0, memoryBytes: 0 }, { cpuMillis: 4001, memoryBytes: 0 }, 'Infeasible'],
    ['more memory than the node has', { cpuMillis: 0, memoryBytes: 0 }, { cpuMillis: 1, memoryBytes: 9 * Gi }, 'Infeasible'],
    ['infeasible wins over deferred', { cpuMillis: 3999, memoryBytes: 0 }, { cpuMillis: 5000, memoryBytes: 0 }, 'Infeasible'],
  ] as const)('%s', (_what, others, pod, kind) => expect(admitResize(node, others, pod).kind).toBe(kind));

  it('says what did not fit, as the kubelet does', () => {
    expect(admitResize(node, { cpuMillis: 3500, memoryBytes: 0 }, { cpuMillis: 600, memoryBytes: 0 })).toEqual({
      kind: 'Deferred',
      message: "Node didn't have enough resource: cpu, requested: 600m, used: 3500m, capacity: 4000m",
    });
    expect(admitResize(node, { cpuMillis: 0, memoryBytes: 0 }, { cpuMillis: 0, memoryBytes: 9 * Gi })).toEqual({
      kind: 'Infeasible',
      message: `Node didn't have enough capacity: memory, requested: ${9 * Gi}, capacity: ${8 * Gi}`,
    });
  });
});

describe('memoryLimitDecreaseError', () => {
  const c = (actual: number | undefined, desired: number | undefined, ws: number) => [{ name: 'app', actualLimitBytes: actual, desiredLimitBytes: desired, workingSetBytes: ws }];
  it.each([
    ['decrease below usage', c(512, 150, 200), true],
    ['decrease above usage', c(512, 300, 200), false],
    ['increase while over', c(100, 300, 200), false],
    ['no limit before', c(undefined, 150, 200), false],
    ['no limit after', c(512, undefined, 200), false],
  ] as const)('%s', (_what, containers, fails) => expect(memoryLimitDecreaseError(containers) !== undefined).toBe(fails));
});

describe('actuationOrder', () => {
  it('shrinking pods first, then by admission time', () => {
    const up = (t: number, id: string) => ({ id, admittedAtMs: t, delta: { cpuMillis: 100, memoryBytes: 0 } });
    const down = (t: number, id: string) => ({ id, admittedAtMs: t, delta: { cpuMillis: -100, memoryBytes: 0 } });
    const mixed = (t: number, id: string) => ({ id, admittedAtMs: t, delta: { cpuMillis: -100, memoryBytes: 10 } });
    expect(actuationOrder([up(1, 'a'), mixed(2, 'b'), down(4, 'c'), down(3, 'd')]).map((x) => x.id)).toEqual(['d', 'c', 'a', 'b']);
  });
});
