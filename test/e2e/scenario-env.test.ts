// `make cluster-up SCENARIO=…` as a user runs it: the scenario's workloads run on the simulated
// kubelet, Prometheus starts with their backfilled history and keeps scraping them live.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../hack/cluster/binaries.ts';
import { eventually } from '../support/kube.ts';
import { processesMentioning } from '../support/processes.ts';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'hack', 'cluster', 'cli.ts');
let root = '';
afterAll(async () => {
  if (!root) return;
  await run(process.execPath, [CLI, 'down', '--name', 'scn'], { env: { ...process.env, ATTUNE_RUN_DIR: root } }).catch(() => undefined);
  for (const pid of processesMentioning(root)) process.kill(pid, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
});

async function promql(url: string, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}

it('cluster up with a scenario: pods run, Prometheus has their history and live samples', async () => {
  root = await mkdtemp(join(tmpdir(), 'attune-e2e-scn-'));
  const up = await run(process.execPath, [CLI, 'up', '--name', 'scn', '--nodes', '2', '--scenario', 'steady', '--history-days', '2'], {
    env: { ...process.env, ATTUNE_RUN_DIR: root },
    timeout: 240_000,
  });
  expect(up.stdout).toContain('scenario: steady');
  const { prometheus } = JSON.parse(readFileSync(join(root, 'scn', 'endpoints.json'), 'utf8')) as { prometheus: string };

  // Two days of history for the scenario's 3 pods, at the backfill's 60 s step: ~2,880 points each.
  const points = await promql(prometheus, 'count_over_time(container_memory_working_set_bytes{namespace="steady",container="app"}[3d])');
  expect(points).toHaveLength(3);
  for (const p of points) expect(Number(p.value[1])).toBeGreaterThan(2_800);

  // The profile says memory ≈ 300Mi ± 2%: history agrees.
  const p50 = await promql(prometheus, 'quantile_over_time(0.5, container_memory_working_set_bytes{namespace="steady",container="app"}[2d])');
  for (const p of p50) expect(Number(p.value[1]) / 2 ** 20).toBeCloseTo(300, -1);

  // Live scrapes continue after the history, and no counter reset at the seam.
  await eventually(async () => {
    const live = await promql(prometheus, 'count_over_time(container_cpu_usage_seconds_total{namespace="steady",container="app"}[30s])');
    expect(live).toHaveLength(3);
    for (const l of live) expect(Number(l.value[1])).toBeGreaterThanOrEqual(2);
  }, 60_000, 1_000);
  const resets = await promql(prometheus, 'resets(container_cpu_usage_seconds_total{namespace="steady",container="app"}[3d])');
  expect(resets.map((r) => r.value[1])).toEqual(['0', '0', '0']);
});
