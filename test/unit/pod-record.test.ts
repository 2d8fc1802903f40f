// The record attune writes on a pod before changing it (pure codec).
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../../src/core/pod-record.ts';

const record = {
  originals: { app: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } }, side: { requests: { cpu: '50m' } } },
  cycle: 'c-20261122-1',
  policy: 'shop/frontend',
};

describe('pod record', () => {
  it('round-trips', () => expect(decodeRecord(encodeRecord(record))).toEqual({ state: 'ok', record }));
  it('round-trips with a baseline', () => {
    const r = { ...record, baseline: { at: '2026-11-22T05:00:00.000Z', restarts: { app: 2, side: 0 } } };
    expect(decodeRecord(encodeRecord(r))).toEqual({ state: 'ok', record: r });
  });

  it('keeps only cpu and memory', () => {
    const a = encodeRecord({ ...record, originals: { app: { requests: { cpu: '1', 'ephemeral-storage': '1Gi' } } } });
    expect(decodeRecord(a)).toMatchObject({ state: 'ok', record: { originals: { app: { requests: { cpu: '1' } } } } });
  });

  it('no record on a pod attune never touched', () => expect(decodeRecord({ other: 'x' })).toEqual({ state: 'none' }));

  it.each([
    ['not JSON', { 'attune.dev/original-resources': '{', 'attune.dev/cycle': 'c' }, /not JSON/],
    ['an array', { 'attune.dev/original-resources': '[]', 'attune.dev/cycle': 'c' }, /not an object/],
    ['a container that is a string', { 'attune.dev/original-resources': '{"app":"1"}', 'attune.dev/cycle': 'c' }, /container app/],
    ['a number quantity', { 'attune.dev/original-resources': '{"app":{"requests":{"cpu":1}}}', 'attune.dev/cycle': 'c' }, /cpu is not a quantity/],
    ['no cycle', { 'attune.dev/original-resources': '{}' }, /cycle is missing/],
    ['a baseline with a negative count', { 'attune.dev/original-resources': '{}', 'attune.dev/cycle': 'c', 'attune.dev/baseline': '{"at":"2026-11-22T05:00:00Z","restarts":{"app":-1}}' }, /not a count/],
    ['huge', { 'attune.dev/original-resources': 'x'.repeat(70_000), 'attune.dev/cycle': 'c' }, /larger than/],
  ])('a damaged record is reported, not guessed: %s', (_what, annotations, reason) => {
    const d = decodeRecord(annotations);
    expect(d.state).toBe('damaged');
    expect(d.state === 'damaged' && d.reason).toMatch(reason);
  });
});
