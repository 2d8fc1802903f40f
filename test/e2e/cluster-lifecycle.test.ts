// The local cluster's life cycle as users and CI meet it: `cluster up` / `kubectl` / `cluster down`,
// Ctrl-C, a launcher killed outright, several clusters side by side. After each, no process of
// the cluster may remain: checked in /proc, not trusted to the launcher.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, resolveBinaries } from '../../hack/cluster/binaries.ts';
import { startCluster, type ClusterState } from '../../hack/cluster/cluster.ts';
import { clients, eventually, httpStatus } from '../support/kube.ts';
import { isAlive, processesMentioning } from '../support/processes.ts';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'hack', 'cluster', 'cli.ts');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempRunRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-e2e-'));
  cleanups.push(async () => {
    // Whatever happened in the test, leave no process behind.
    for (const pid of processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

const cli = (root: string, ...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, ATTUNE_RUN_DIR: root }, timeout: 180_000 });

const stateOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as ClusterState;

/** Starts `cli serve` in the foreground and resolves once it reports ready. */
async function serve(root: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--name', name, '--nodes', '0'], {
    env: { ...process.env, ATTUNE_RUN_DIR: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`serve exited early: ${out}`);
    expect(out).toContain('cluster ready');
  }, 120_000);
  return child;
}

describe('cluster CLI', () => {
  it('up → kubectl reports v1.35.x and a Ready node → down leaves no process', async () => {
    const root = await tempRunRoot();
    const runDir = join(root, 'cli');
    const up = await cli(root, 'up', '--name', 'cli', '--nodes', '1');
    expect(up.stdout).toMatch(/cluster ready: Kubernetes v1\.35\.\d+/);
    const kubeconfig = join(runDir, 'kubeconfig');
    expect(up.stdout).toContain(`export KUBECONFIG=${kubeconfig}`);

    const { kubectl } = resolveBinaries();
    const version = JSON.parse((await run(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.35\.\d+$/);
    const nodes = await eventually(async () => {
      const out = (await run(kubectl, ['--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers'])).stdout;
      expect(out).toMatch(/^node-0\s+Ready\s/m);
      return out;
    });
    expect(nodes.trim().split('\n')).toHaveLength(1);

    // A second `up` finds the running cluster instead of starting another.
    const again = await cli(root, 'up', '--name', 'cli', '--nodes', '1');
    expect(again.stdout).toContain('already running');

    const pids = Object.values(stateOf(runDir).pids);
    expect(pids.every(isAlive)).toBe(true);
    await cli(root, 'down', '--name', 'cli');
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(runDir)).toEqual([]);
    expect((await cli(root, 'status', '--name', 'cli').catch((e: { stdout: string }) => e)).stdout).toContain('not running');
  });

  it('Ctrl-C (SIGINT) on a foreground cluster stops every component', async () => {
    const root = await tempRunRoot();
    const child = await serve(root, 'fg');
    const pids = Object.values(stateOf(join(root, 'fg')).pids);
    expect(pids).toHaveLength(4);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('a launcher killed with SIGKILL takes its components with it (no orphans)', async () => {
    const root = await tempRunRoot();
    const child = await serve(root, 'killed');
    const pids = Object.values(stateOf(join(root, 'killed')).pids);
    expect(pids.every(isAlive)).toBe(true);
    child.kill('SIGKILL');
    await eventually(() => expect(pids.filter(isAlive)).toEqual([]), 10_000, 100);
    await eventually(() => expect(processesMentioning(root)).toEqual([]), 10_000, 100);
  });
});

describe('several clusters', () => {
  it('run side by side with separate ports and separate state', async () => {
    const root = await tempRunRoot();
    const [a, b] = await Promise.all([startCluster({ runDir: join(root, 'a') }), startCluster({ runDir: join(root, 'b') })]);
    cleanups.push(() => a.stop(), () => b.stop());
    const portsA = Object.values(a.ports);
    expect(Object.values(b.ports).filter((p) => portsA.includes(p))).toEqual([]);

    const ca = clients(a.kubeconfig);
    const cb = clients(b.kubeconfig);
    await ca.core.createNamespace({ body: { metadata: { name: 'only-in-a' } } });
    await ca.core.readNamespace({ name: 'only-in-a' });
    const missing = await cb.core.readNamespace({ name: 'only-in-a' }).catch((e: unknown) => e);
    expect(httpStatus(missing)).toBe(404);

    await Promise.all([a.stop(), b.stop()]);
    expect(processesMentioning(root)).toEqual([]);
  });
});

describe('start failures: one line naming the cause and the log, nothing left running', () => {
  it('a port clash on the apiserver port', async () => {
    const root = await tempRunRoot();
    const { createServer } = await import('node:net');
    // Holds the port; drops any connection at once so closing it never waits on a client.
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;

    const err = (await startCluster({ runDir: join(root, 'clash'), ports: { apiserver: port } }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(new RegExp(`^kube-apiserver exited with code \\d+ during start: port ${port} is already in use \\(port clash\\) \\(log: .*kube-apiserver\\.log\\)$`));
    expect(err.message).not.toContain('\n');
    expect(processesMentioning(root)).toEqual([]);
  });

  it('a component that crashes at start', async () => {
    const root = await tempRunRoot();
    const crasher = join(root, 'crashing-controller-manager');
    const { writeFile, chmod } = await import('node:fs/promises');
    await writeFile(crasher, '#!/bin/sh\necho "I1122 00:00:00.000000 1 flags.go:1] starting" >&2\necho "E1122 00:00:00.000001 1 run.go:72] \\"command failed\\" err=\\"invalid configuration: boom\\"" >&2\nexit 3\n');
    await chmod(crasher, 0o755);

    const err = (await startCluster({ runDir: join(root, 'crash'), binaries: { ...resolveBinaries(), kubeControllerManager: crasher } }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^kube-controller-manager exited with code 3 during start: .*invalid configuration: boom.* \(log: .*kube-controller-manager\.log\)$/);
    expect(processesMentioning(root)).toEqual([]);
  });

  it('missing binaries name the binary and the command that installs them', () => {
    const saved = process.env.ATTUNE_CACHE;
    process.env.ATTUNE_CACHE = join(tmpdir(), 'attune-no-such-cache');
    try {
      expect(() => resolveBinaries()).toThrow(/^etcd not found at .*attune-no-such-cache.*: run `make tools`/);
    } finally {
      if (saved === undefined) delete process.env.ATTUNE_CACHE;
      else process.env.ATTUNE_CACHE = saved;
    }
  });
});

describe('binary build failures: one line naming the cause and the log', () => {
  const script = join(REPO_ROOT, 'hack', 'build-k8s-bins.sh');
  const build = async (env: NodeJS.ProcessEnv) => {
    const r = await run('bash', [script], { env, timeout: 120_000 }).catch((e: { code: number; stderr: string }) => e);
    return r as { code?: number; stderr: string };
  };

  it('no Go toolchain', async () => {
    const cache = await tempRunRoot();
    const r = await build({ HOME: process.env.HOME, PATH: '/usr/bin:/bin', ATTUNE_CACHE: cache });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: Go toolchain not found on PATH: .*v1\.35\.\d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unreachable module proxy', async () => {
    const cache = await tempRunRoot();
    const { freePorts } = await import('../../hack/cluster/ports.ts');
    const [closed] = await freePorts(1); // nothing listens there any more
    const r = await build({
      ...process.env,
      ATTUNE_CACHE: cache,
      GOPROXY: `http://127.0.0.1:${closed}`,
      GOSUMDB: 'off',
      GOMODCACHE: join(cache, 'gomod'),
      GOFLAGS: '-modcacherw',
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: could not fetch k8s\.io\/kubernetes@v1\.35\.\d+ from the Go module proxy .*\(log: .*build\.log\)$/);
    expect(existsSync(join(cache, `k8s-${/v1\.35\.\d+/.exec(lines[0]!)![0]}`, 'bin'))).toBe(false);
  });
});
