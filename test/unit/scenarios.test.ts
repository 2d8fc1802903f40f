// Every scenario file is valid: parseable manifests, a valid usage profile on each workload, and
// the property its comment promises (checked against the profile model itself).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../hack/cluster/binaries.ts';
import { demandAt, parseProfile, profileFor, resourceSeed, PROFILE_ANNOTATION, DAY_MS } from '../../hack/sim/profile.ts';
import { parseQuantity } from '../../hack/sim/units.ts';

const DIR = join(REPO_ROOT, 'test', 'scenarios');
const REQUIRED = ['steady', 'diurnal', 'spiky', 'memory-leak', 'oversized', 'undersized-memory', 'startup-peak'];

interface Deployment {
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containers: Array<{ name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }> } } };
}

function deploymentsOf(name: string): Deployment[] {
  return (loadAll(readFileSync(join(DIR, `${name}.yaml`), 'utf8')) as Deployment[]).filter((d) => d.kind === 'Deployment');
}

/** A week of the model's values at 60 s, sorted. */
function week(name: string, resource: 'cpu' | 'memory'): number[] {
  const d = deploymentsOf(name)[0]!;
  const parsed = parseProfile(d.spec.template.metadata.annotations[PROFILE_ANNOTATION]!);
  if (!parsed.ok) throw new Error(parsed.error);
  const series = profileFor(parsed.profile, 'app')[resource];
  const start = Date.UTC(2026, 0, 5);
  const values: number[] = [];
  for (let t = start; t < start + 7 * DAY_MS; t += 60_000) values.push(demandAt(series, resourceSeed('seed', resource), start, t));
  return values.sort((a, b) => a - b);
}

describe('scenarios', () => {
  it('include every required scenario', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
    expect(files).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each(REQUIRED)('%s: every workload carries a valid profile for each container', (name) => {
    const ds = deploymentsOf(name);
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) {
      expect(d.metadata.namespace).toBe(name);
      const r = parseProfile(d.spec.template.metadata.annotations[PROFILE_ANNOTATION]!);
      expect(r.ok ? 'ok' : r.error).toBe('ok');
      for (const c of d.spec.template.spec.containers) expect(r.ok && r.profile.containers[c.name]).toBeTruthy();
    }
  });

  it('oversized requests about 4× the typical usage', () => {
    const req = deploymentsOf('oversized')[0]!.spec.template.spec.containers[0]!.resources.requests;
    const cpu = quantileSorted(week('oversized', 'cpu'), 0.5);
    const mem = quantileSorted(week('oversized', 'memory'), 0.5);
    expect(parseQuantity(req.cpu!)! / cpu).toBeGreaterThan(3.5);
    expect(parseQuantity(req.memory!)! / mem).toBeGreaterThan(3.5);
  });

  it('undersized-memory has its limit just above the p99 of usage, below the peak', () => {
    const limit = parseQuantity(deploymentsOf('undersized-memory')[0]!.spec.template.spec.containers[0]!.resources.limits.memory!)!;
    const mem = week('undersized-memory', 'memory');
    const p99 = quantileSorted(mem, 0.99);
    expect(limit).toBeGreaterThan(p99);
    expect(limit / p99).toBeLessThan(1.1);
    expect(mem.at(-1)!).toBeLessThan(limit); // never OOMs at its current limit
  });

  it('memory-leak grows by about 15% of base a day', () => {
    const mem = week('memory-leak', 'memory');
    expect(mem.at(-1)! / mem[0]!).toBeGreaterThan(1.8);
  });
});
