// The node stand-in's pure status builders.
import { describe, expect, it } from 'vitest';
import { microTime, runningStatus } from '../../hack/kubelet/node-agent.ts';

describe('runningStatus', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'n', uid: 'u1', generation: 3 },
    spec: {
      containers: [
        { name: 'app', image: 'img:1', resources: { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '1Gi' }, limits: { memory: '128Mi' } } },
        { name: 'side', image: 'img:2' },
      ],
    },
  };
  const s = runningStatus(pod, '10.244.0.9', '2026-11-22T00:00:00.000Z').status;

  it('reports cpu/memory resources and allocated requests as a 1.35 kubelet does', () => {
    expect(s.containerStatuses[0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      allocatedResources: { cpu: '100m', memory: '64Mi' },
    });
    expect(s.containerStatuses[0]!.resources!.requests).not.toHaveProperty('ephemeral-storage');
    // A container without resources still reports an (empty) resources block: the apiserver
    // refuses resizes of running containers whose status has no resources at all.
    expect(s.containerStatuses[1]!.resources).toEqual({});
    expect(s.containerStatuses[1]).not.toHaveProperty('allocatedResources');
  });

  it('is Running and Ready for the observed generation', () => {
    expect(s.phase).toBe('Running');
    expect(s.observedGeneration).toBe(3);
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(s.podIP).toBe('10.244.0.9');
  });
});

it('microTime writes six fraction digits', () => {
  expect(microTime(new Date('2026-11-22T04:02:20.924Z'))).toBe('2026-11-22T04:02:20.924000Z');
});
