// The ResizePolicy API from its zod source: the generated CRD is a valid structural schema with
// descriptions, defaults, bounds and named CEL rules; parseResizePolicy applies the same defaults,
// names the failing field and never throws, whatever it is given.
import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_VERSION, KIND, WELL_KNOWN_SIDECARS } from '../../src/api/constants.ts';
import { isContainerSelected } from '../../src/api/containers.ts';
import { buildCrd, PRINTER_COLUMNS, resizePolicyOpenApiSchema, toStructural, type JsonSchema } from '../../src/api/crd.ts';
import { formatPath, parseResizePolicy, parseResizePolicySpec } from '../../src/api/resize-policy.ts';
import { DURATION_PATTERN } from '../../src/core/duration.ts';
import { NONNEGATIVE_QUANTITY_PATTERN } from '../../src/core/quantity.ts';

const root = resizePolicyOpenApiSchema();
const props = root.properties as Record<string, JsonSchema>;

/** Every schema node with its path. */
function* nodes(s: JsonSchema, path: string): Generator<[string, JsonSchema]> {
  yield [path, s];
  for (const [k, v] of Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {})) yield* nodes(v, `${path}.${k}`);
  if (s.items) yield* nodes(s.items as JsonSchema, `${path}[]`);
  if (typeof s.additionalProperties === 'object') yield* nodes(s.additionalProperties as JsonSchema, `${path}{}`);
}

const all = [...nodes(root, '')];
const at = (path: string): JsonSchema => {
  const found = all.find(([p]) => p === path);
  if (!found) throw new Error(`no schema node at ${path}`);
  return found[1];
};

describe('generated CRD: structural schema', () => {
  it('every node has a type and nothing apiextensions forbids', () => {
    for (const [path, s] of all) {
      expect(typeof s.type, path).toBe('string');
      for (const bad of ['$ref', '$schema', 'anyOf', 'oneOf', 'allOf', 'not', 'propertyNames', 'definitions', 'nullable']) expect(s[bad], `${path} ${bad}`).toBeUndefined();
      expect(s.additionalProperties === false, path).toBe(false);
      if (s.properties) expect(s.additionalProperties, path).toBeUndefined();
    }
  });

  it('every field has a description', () => {
    const fields = all.filter(([p]) => p !== '' && !p.endsWith('[]') && !p.endsWith('{}') && p !== '.metadata');
    expect(fields.length).toBeGreaterThan(80);
    for (const [path, s] of fields) expect(typeof s.description === 'string' && s.description !== '', path).toBe(true);
  });

  it('spec strings, lists and maps are bounded (CEL cost estimates, object size)', () => {
    for (const [path, s] of all.filter(([p]) => p.startsWith('.spec'))) {
      if (s.type === 'string' && !s.enum) expect(s.maxLength, path).toBeTypeOf('number');
      if (s.type === 'array') expect(s.maxItems, path).toBeTypeOf('number');
      if (s.type === 'object' && s.additionalProperties) expect(s.maxProperties, path).toBeTypeOf('number');
    }
  });

  it('quantities and durations use the parsers\u2019 own patterns', () => {
    for (const p of ['.spec.cpu.minAllowed', '.spec.cpu.maxAllowed', '.spec.memory.minAllowed', '.spec.memory.maxAllowed']) {
      expect(at(p).pattern).toBe(NONNEGATIVE_QUANTITY_PATTERN.source);
    }
    for (const p of ['.spec.metrics.historyWindow', '.spec.metrics.step', '.spec.metrics.minimumData.span', '.spec.updateStrategy.canary.observationPeriod', '.spec.updateStrategy.cooldown', '.spec.updateStrategy.notReadyGrace']) {
      expect(at(p).pattern, p).toBe(DURATION_PATTERN.source);
      expect(at(p).minLength, p).toBe(1);
    }
  });

  it.each<[string, unknown]>([
    ['.spec.cpu', {}],
    ['.spec.cpu.percentile', 95],
    ['.spec.memory.percentile', 99],
    ['.spec.cpu.overhead', 15],
    ['.spec.memory.overhead', 15],
    ['.spec.cpu.maxChangePercent', 50],
    ['.spec.memory.maxChangePercent', 30],
    ['.spec.cpu.minChangePercent', 10],
    ['.spec.memory.controlledValues', 'RequestsAndLimits'],
    ['.spec.metrics', {}],
    ['.spec.metrics.historyWindow', '7d'],
    ['.spec.metrics.step', '5m'],
    ['.spec.metrics.minimumData.samples', 100],
    ['.spec.metrics.minimumData.span', '24h'],
    ['.spec.metrics.prometheus.insecureSkipVerify', false],
    ['.spec.updateStrategy.type', 'Recommend'],
    ['.spec.updateStrategy.canary.percentage', 10],
    ['.spec.updateStrategy.canary.observationPeriod', '30m'],
    ['.spec.updateStrategy.canary.autoPromote', false],
    ['.spec.updateStrategy.cooldown', '2h'],
    ['.spec.updateStrategy.autoRevert', true],
    ['.spec.updateStrategy.restartThreshold', 1],
    ['.spec.updateStrategy.notReadyGrace', '2m'],
    ['.spec.onMetricUnavailable', 'revert'],
    ['.spec.targetRef.apiVersion', 'apps/v1'],
  ])('%s defaults to %j', (path, value) => {
    expect(at(path).default).toEqual(value);
  });

  it.each<[string, Partial<JsonSchema>]>([
    ['.spec.cpu.percentile', { minimum: 0, exclusiveMinimum: true, maximum: 100 }],
    ['.spec.cpu.maxChangePercent', { type: 'integer', minimum: 1, maximum: 100 }],
    ['.spec.cpu.minChangePercent', { type: 'integer', minimum: 0, maximum: 100 }],
    ['.spec.cpu.overhead', { minimum: 0 }],
    ['.spec.updateStrategy.canary.percentage', { type: 'integer', minimum: 1, maximum: 100 }],
    ['.spec.updateStrategy.restartThreshold', { minimum: 1 }],
    ['.spec.targetRef.kind', { enum: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] }],
    ['.spec.updateStrategy.type', { enum: ['Recommend', 'Canary', 'Auto'] }],
    ['.spec.onMetricUnavailable', { enum: ['revert', 'pause'] }],
    ['.spec.cpu.controlledValues', { enum: ['RequestsOnly', 'RequestsAndLimits'] }],
    ['.status.resizeHistory', { maxItems: 100 }],
    ['.status.conditions', { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }],
    ['.status.canary.phase', { enum: ['CanaryInProgress', 'FullRollout'] }],
    ['.spec.containers.include', { 'x-kubernetes-list-type': 'set' }],
  ])('%s has %j', (path, want) => {
    expect(at(path)).toMatchObject(want);
  });

  it('status is typed, not an opaque preserve-unknown-fields blob', () => {
    expect(all.some(([, s]) => s['x-kubernetes-preserve-unknown-fields'])).toBe(false);
    expect(at('.status.workloads[].containers[].explanation[]').properties).toHaveProperty('step');
  });

  it('every CEL rule carries a message naming the field by its full path', () => {
    const rules = all.flatMap(([path, s]) => ((s['x-kubernetes-validations'] as JsonSchema[] | undefined) ?? []).map((r) => [path, r] as const));
    expect(rules.length).toBeGreaterThanOrEqual(15);
    for (const [path, r] of rules) {
      expect(r.rule, path).toBeTypeOf('string');
      expect(String(r.message), path).toMatch(/\b(spec|status)\.[A-Za-z]/);
      if (r.fieldPath !== undefined) expect(r.fieldPath, path).toMatch(/^(\.[A-Za-z]+)+$/);
    }
  });

  it('the CEL rules use the Kubernetes quantity and URL libraries where they should', () => {
    expect(JSON.stringify(at('.spec.cpu')['x-kubernetes-validations'])).toContain('quantity(self.maxAllowed).isLessThan(quantity(self.minAllowed))');
    expect(JSON.stringify(at('.spec.metrics.prometheus.url')['x-kubernetes-validations'])).toContain('isURL(self)');
    expect(at('.spec')['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: 'has(self.targetRef) != has(self.selector)' })]);
  });
});

describe('generated CRD: names, subresources, printer columns', () => {
  const crd = buildCrd() as { spec: { group: string; scope: string; names: JsonSchema; versions: JsonSchema[] } };
  const v = crd.spec.versions[0]!;

  it('declares attune.dev/v1alpha1 ResizePolicy (rsp), namespaced, with a status subresource', () => {
    expect(crd.spec.group).toBe('attune.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: 'ResizePolicy', plural: 'resizepolicies', singular: 'resizepolicy', shortNames: ['rsp'] });
    expect(v).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('prints MODE, TARGET, PHASE, CANARY, AGE from fields that exist in the schema', () => {
    expect(PRINTER_COLUMNS.map((c) => c.name.toUpperCase())).toEqual(['MODE', 'TARGET', 'PHASE', 'CANARY', 'AGE']);
    for (const c of PRINTER_COLUMNS.filter((x) => !x.jsonPath.startsWith('.metadata'))) {
      const node = at(c.jsonPath);
      expect(node.type === 'string' ? 'string' : node.type, c.name).toBe(c.type);
    }
  });
});

describe('toStructural refuses what a CRD cannot express', () => {
  it.each<[string, JsonSchema]>([
    ['a union', { anyOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['a node without type', { description: 'x' }],
    ['a $ref', { type: 'object', $ref: '#/$defs/x' }],
    ['properties next to additionalProperties', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }],
  ])('%s', (_case, schema) => {
    expect(() => toStructural(schema)).toThrow();
  });

  it('a zod union makes generation fail instead of producing a non-structural schema', () => {
    const js = z.toJSONSchema(z.object({ a: z.union([z.string(), z.number()]) }), { io: 'input', target: 'openapi-3.0' }) as JsonSchema;
    expect(() => toStructural(js)).toThrow(/anyOf/);
  });
});

const minimal = { targetRef: { kind: 'Deployment', name: 'web' } };
const obj = (spec: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'p', namespace: 'ns', generation: 3 }, spec, ...extra });

describe('parseResizePolicy', () => {
  it('applies every default to a minimal policy', () => {
    const r = parseResizePolicy(obj(minimal));
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (!r.ok) return;
    expect(r.policy.metadata).toEqual({ name: 'p', namespace: 'ns', generation: 3 });
    expect(r.policy.spec.cpu).toEqual({ percentile: 95, overhead: 15, maxChangePercent: 50, minChangePercent: 10, controlledValues: 'RequestsAndLimits' });
    expect(r.policy.spec.memory).toMatchObject({ percentile: 99, maxChangePercent: 30 });
    expect(r.policy.spec.updateStrategy).toEqual({
      type: 'Recommend',
      canary: { percentage: 10, observationPeriod: '30m', autoPromote: false },
      cooldown: '2h',
      autoRevert: true,
      restartThreshold: 1,
      notReadyGrace: '2m',
    });
    expect(r.policy.spec.metrics).toEqual({ historyWindow: '7d', step: '5m', minimumData: { samples: 100, span: '24h' } });
    expect(r.policy.spec.onMetricUnavailable).toBe('revert');
  });

  it.each<[string, unknown, string]>([
    ['no spec', undefined, 'spec: is required'],
    ['spec not an object', 'x', 'spec: must be an object'],
    ['missing workload kind', { targetRef: { name: 'web' } }, 'spec.targetRef.kind: is required'],
    ['neither target', {}, 'spec: exactly one of spec.targetRef and spec.selector must be set'],
    ['min > max', { ...minimal, cpu: { minAllowed: '1', maxAllowed: '999m' } }, 'spec.cpu.maxAllowed:'],
    ['equal after normalisation is fine, but 1G < 1Gi is not', { ...minimal, memory: { minAllowed: '1Gi', maxAllowed: '1G' } }, 'spec.memory.maxAllowed:'],
    ['history shorter than the minimum span (runtime only)', { ...minimal, metrics: { historyWindow: '12h' } }, 'spec.metrics.minimumData.span:'],
    ['step longer than the history (runtime only)', { ...minimal, metrics: { historyWindow: '1d', step: '2d', minimumData: { span: '1h' } } }, 'spec.metrics.step:'],
    ['Authorization in any case (CEL only catches two spellings)', { ...minimal, metrics: { prometheus: { url: 'http://p:9090', headers: { AUTHORIZATION: 'x' } } } }, 'spec.metrics.prometheus.headers:'],
    ['header name that is not a token (runtime only)', { ...minimal, metrics: { prometheus: { url: 'http://p:9090', headers: { 'X Org': 'a' } } } }, 'spec.metrics.prometheus.headers["X Org"]:'],
    ['matchLabels key that is not a label key (runtime only)', { selector: { matchLabels: { 'bad key': 'a' } } }, 'spec.selector.matchLabels["bad key"]:'],
    ['URL the pattern accepts but URL parsing does not', { ...minimal, metrics: { prometheus: { url: 'http://[::1' } } }, 'spec.metrics.prometheus.url:'],
  ])('%s → %s', (_case, spec, error) => {
    const r = parseResizePolicy(obj(spec));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => e.startsWith(error)), r.errors.join('\n')).toBe(true);
  });

  it('reports every problem at once', () => {
    const r = parseResizePolicySpec({ ...minimal, cpu: { percentile: 0, overhead: -1 }, updateStrategy: { type: 'Sometimes' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.split(':')[0])).toEqual(['spec.cpu.percentile', 'spec.cpu.overhead', 'spec.updateStrategy.type']);
  });

  it('rejects a foreign apiVersion or kind', () => {
    expect(parseResizePolicy({ ...obj(minimal), apiVersion: 'attune.dev/v2' })).toEqual({ ok: false, errors: ['apiVersion: must be attune.dev/v1alpha1'] });
    expect(parseResizePolicy({ ...obj(minimal), kind: 'Pod' })).toEqual({ ok: false, errors: ['kind: must be ResizePolicy'] });
  });

  it('reads an object written under an older or newer schema: unknown fields dropped, missing ones defaulted', () => {
    const r = parseResizePolicy(
      obj({ ...minimal, mode: 'Auto', cpu: { percentile: 90, targetUtilization: 70 }, updateStrategy: { canary: { percent: 5 } } }, { status: { oldField: 1, observedGeneration: 2 } }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.spec).not.toHaveProperty('mode');
    expect(r.policy.spec.cpu).toEqual({ percentile: 90, overhead: 15, maxChangePercent: 50, minChangePercent: 10, controlledValues: 'RequestsAndLimits' });
    expect(r.policy.spec.updateStrategy.canary.percentage).toBe(10);
    expect(r.policy.status).toEqual({ observedGeneration: 2 });
  });

  it('ignores an unreadable status with a warning instead of rejecting the policy', () => {
    const r = parseResizePolicy(obj(minimal, { status: { canary: { phase: 'Exploding' }, conditions: 'nope' } }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.status).toBeUndefined();
    expect(r.warnings.join('\n')).toContain('status.canary.phase');
    expect(r.warnings.join('\n')).toContain('status.conditions');
  });

  it('ignores wrong-typed metadata fields', () => {
    const r = parseResizePolicy({ ...obj(minimal), metadata: { name: 7, namespace: 'ns', generation: 'x', labels: { a: 1 } } });
    expect(r.ok && r.policy.metadata).toEqual({ namespace: 'ns' });
    expect(parseResizePolicy({ ...obj(minimal), metadata: 'junk' }).ok).toBe(true);
  });

  it('never throws, not even on hostile input', () => {
    const throwingGetter = { get spec(): unknown { throw new Error('boom'); } };
    const proxy = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 10_000; i++) {
      const next: Record<string, unknown> = {};
      cur.x = next;
      cur = next;
    }
    for (const input of [undefined, null, 0, '', 'spec', [], [minimal], () => 1, Symbol('s'), 10n, throwingGetter, proxy, { spec: proxy }, { spec: deep }]) {
      const r = parseResizePolicy(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
    }
    // Deeply nested unknown fields are simply dropped.
    expect(parseResizePolicy(obj({ ...minimal, cpu: deep })).ok).toBe(true);
  });

  it('never throws on randomly corrupted specs (seeded fuzz)', () => {
    const full = {
      ...minimal,
      containers: { include: ['app'], exclude: ['debug'] },
      cpu: { percentile: 90, minAllowed: '100m', maxAllowed: '2' },
      memory: { minAllowed: '64Mi', maxAllowed: '1Gi' },
      metrics: { prometheus: { url: 'http://p:9090', headers: { 'X-Scope-OrgID': 't' }, caSecretRef: { name: 'ca', key: 'ca.crt' } }, query: { cpu: 'x{ns="{{namespace}}"}' } },
      updateStrategy: { type: 'Canary', canary: { percentage: 10 } },
    };
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const junk = [null, undefined, -1, 0, 1e308, Number.NaN, '', 'x', '{{', '-1', '1Qi', true, [], [null], {}, { a: 1 }, '0s', 'http://'];
    const leaves = (o: unknown, path: string[] = []): string[][] =>
      o !== null && typeof o === 'object' ? Object.entries(o).flatMap(([k, v]) => [[...path, k], ...leaves(v, [...path, k])]) : [];
    const paths = leaves(full);
    for (let i = 0; i < 2000; i++) {
      const spec = structuredClone(full) as Record<string, unknown>;
      for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) {
        const p = paths[Math.floor(rand() * paths.length)]!;
        let cur: Record<string, unknown> | undefined = spec;
        for (const k of p.slice(0, -1)) cur = cur?.[k] as Record<string, unknown> | undefined;
        if (cur && typeof cur === 'object') cur[p.at(-1)!] = junk[Math.floor(rand() * junk.length)];
      }
      const r = parseResizePolicy(obj(spec));
      if (!r.ok) for (const e of r.errors) expect(e).toMatch(/^(spec|<root>)[^:]*: ./);
    }
  });
});

describe('formatPath', () => {
  it.each<[readonly PropertyKey[], string]>([
    [['cpu', 'minAllowed'], 'spec.cpu.minAllowed'],
    [['containers', 'include', 0], 'spec.containers.include[0]'],
    [['metrics', 'prometheus', 'headers', 'X-Org'], 'spec.metrics.prometheus.headers["X-Org"]'],
    [[], 'spec'],
  ])('%j', (path, want) => {
    expect(formatPath('spec', path)).toBe(want);
  });
});

describe('isContainerSelected (spec.containers semantics)', () => {
  it.each<[unknown, string, boolean]>([
    [undefined, 'app', true],
    [undefined, 'istio-proxy', false],
    [{}, 'linkerd-proxy', false],
    [{ include: ['istio-proxy'] }, 'istio-proxy', true],
    [{ include: ['istio-proxy'] }, 'app', false],
    [{ exclude: ['app'] }, 'app', false],
    [{ exclude: ['app'] }, 'worker', true],
    [{ exclude: ['app'] }, 'envoy', false],
    [{ include: ['app', 'envoy'], exclude: ['app'] }, 'app', false],
  ])('%j selects %s: %s', (selection, name, want) => {
    expect(isContainerSelected(selection as Parameters<typeof isContainerSelected>[0], name)).toBe(want);
  });

  it('excludes every well-known sidecar by default and the list is named in the field description', () => {
    const description = String(props.spec && at('.spec.containers').description);
    for (const s of WELL_KNOWN_SIDECARS) {
      expect(isContainerSelected(undefined, s)).toBe(false);
      expect(description).toContain(s);
    }
  });
});

describe('docs/api.md examples', () => {
  it('every YAML example with a spec is a valid ResizePolicy', async () => {
    const doc = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => load(m[1]!) as Record<string, unknown>);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) {
      const r = parseResizePolicy(b.kind ? b : obj(b.spec));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
});
