// The node status the simulated kubelet keeps posting (tryUpdateNodeStatus, pure), and the helpers
// that compare API objects of either client-node shape.
import { describe, expect, it } from 'vitest';
import type { V1NodeStatus } from '@kubernetes/client-node';
// The typed shape client-node gives list results and call responses (not re-exported at the root).
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { apiTime, canonical, olderVersion } from '../../hack/kubelet/api-values.ts';
import { kubeletNodeStatus, type NodeShape } from '../../hack/kubelet/nodes.ts';

const shape: NodeShape = { cpu: '4', memory: '8Gi', maxPods: 110 };
const T0 = new Date(Date.UTC(2026, 10, 22, 10, 0, 0, 250));
const T1 = new Date(T0.getTime() + 10_000);
const at = (d: Date) => apiTime(d)!;

interface Cond {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}
const conditionsOf = (s: ReturnType<typeof kubeletNodeStatus>) => s.body.status.conditions as Cond[];
/** A status as the API holds it after the kubelet's patch at `when` (raw: string times). */
const posted = (when: Date): V1NodeStatus => {
  const s = kubeletNodeStatus(shape, undefined, when).body.status;
  return JSON.parse(JSON.stringify(s)) as V1NodeStatus;
};
/** What the node-lifecycle controller writes when the kubelet stopped posting. */
const unknownByController = (s: V1NodeStatus, when: Date): V1NodeStatus => ({
  ...s,
  conditions: s.conditions!.map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: at(when) as unknown as Date })),
});

describe('kubeletNodeStatus', () => {
  it('a new node: the four kubelet conditions, changed, the pressure events (none for Ready)', () => {
    const s = kubeletNodeStatus(shape, undefined, T0);
    expect(s.changed).toBe(true);
    expect(conditionsOf(s)).toEqual([
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: '2026-11-22T10:00:00Z', lastTransitionTime: '2026-11-22T10:00:00Z' },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: '2026-11-22T10:00:00Z', lastTransitionTime: '2026-11-22T10:00:00Z' },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: '2026-11-22T10:00:00Z', lastTransitionTime: '2026-11-22T10:00:00Z' },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-11-22T10:00:00Z', lastTransitionTime: '2026-11-22T10:00:00Z' },
    ]);
    expect(s.events).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']);
    expect(s.body.status).toMatchObject({ capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } });
  });

  it('a status as the kubelet left it, raw or typed: unchanged; only heartbeats, transition times kept', () => {
    for (const current of [posted(T0), ObjectSerializer.deserialize(posted(T0), 'V1NodeStatus') as V1NodeStatus]) {
      const s = kubeletNodeStatus(shape, current, T1);
      expect(s.changed).toBe(false);
      expect(s.events).toEqual([]);
      const conditions = conditionsOf(s);
      expect(conditions.slice(0, 3)).toEqual(['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, lastHeartbeatTime: at(T1) })));
      expect(conditions[3]).toMatchObject({ type: 'Ready', status: 'True', lastHeartbeatTime: at(T1), lastTransitionTime: at(T0) });
    }
  });

  it('conditions the node-lifecycle controller set to Unknown: back to the kubelet\'s, new transition times, events', () => {
    const s = kubeletNodeStatus(shape, unknownByController(posted(T0), T0), T1);
    expect(s.changed).toBe(true);
    expect(s.events).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']);
    for (const c of conditionsOf(s)) expect(c).toMatchObject({ lastHeartbeatTime: at(T1), lastTransitionTime: at(T1) });
    expect(conditionsOf(s)[3]).toMatchObject({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
  });

  it('Ready True with another reason: rewritten without a transition or an event', () => {
    const current = posted(T0);
    current.conditions = current.conditions!.map((c) => (c.type === 'Ready' ? { ...c, reason: 'Other' } : c));
    const s = kubeletNodeStatus(shape, current, T1);
    expect(s.changed).toBe(true);
    expect(s.events).toEqual([]);
    expect(conditionsOf(s)[3]).toMatchObject({ reason: 'KubeletReady', lastTransitionTime: at(T0) });
  });

  it('leaves conditions of other owners out of the patch; they do not count as a change', () => {
    const current = posted(T0);
    current.conditions!.push({ type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated' });
    const s = kubeletNodeStatus(shape, current, T1);
    expect(s.changed).toBe(false);
    expect(conditionsOf(s).map((c) => c.type)).not.toContain('NetworkUnavailable');
  });

  it('compares capacity and allocatable as quantities', () => {
    const same = posted(T0);
    same.capacity = { ...same.capacity, cpu: '4000m', memory: '8192Mi' };
    expect(kubeletNodeStatus(shape, same, T1).changed).toBe(false);
    const lowered = posted(T0);
    lowered.allocatable = { ...lowered.allocatable, memory: '7Gi' };
    expect(kubeletNodeStatus(shape, lowered, T1).changed).toBe(true);
  });
});

describe('API value helpers', () => {
  it('apiTime: Date or string, to the second', () => {
    expect(apiTime(T0)).toBe('2026-11-22T10:00:00Z');
    expect(apiTime('2026-11-22T10:00:00Z')).toBe('2026-11-22T10:00:00Z');
    expect(apiTime(undefined)).toBeUndefined();
  });

  it('canonical: sorted keys, Dates as API times, empty and null dropped', () => {
    expect(JSON.stringify(canonical({ b: 1, a: { t: T0, n: null, u: undefined, e: {} } }))).toBe('{"a":{"t":"2026-11-22T10:00:00Z"},"b":1}');
  });

  it('olderVersion: decimal resourceVersions compared as numbers; anything else is not older', () => {
    expect(olderVersion('999', '1000')).toBe(true);
    expect(olderVersion('1000', '1000')).toBe(false);
    expect(olderVersion('1001', '1000')).toBe(false);
    expect(olderVersion('abc', '1000')).toBe(false);
    expect(olderVersion(undefined, '1000')).toBe(false);
  });
});
