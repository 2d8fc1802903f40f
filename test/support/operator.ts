// The operator as a real process for e2e tests, and small clients for ResizePolicies.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../hack/cluster/binaries.ts';
import { dieWithParent } from '../../hack/cluster/process.ts';
import { GROUP, KIND, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { ResizePolicyStatus } from '../../src/api/status.ts';
import { eventually } from './kube.ts';

export interface RunningOperator {
  process: ChildProcess;
  /** Everything it printed so far (pino JSON lines and the `ready` line). */
  log(): string;
  /** host:port of its /healthz, /readyz and /metrics. */
  address(): string;
  stop(): void;
}

/** Starts `node src/main.ts <args>` (health on a free port) and waits for its `ready` line. */
export async function startOperator(args: string[]): Promise<RunningOperator> {
  // Dies with the test runner, whatever happens to it; stop() escalates to SIGKILL, because an
  // operator whose event loop is stuck never runs its SIGTERM handler.
  const [cmd, argv] = dieWithParent(process.execPath, [join(REPO_ROOT, 'src', 'main.ts'), ...args, '--health-addr', '127.0.0.1:0']);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`operator exited: ${log}`);
    expect(log).toContain('ready ');
  }, 60_000);
  return { process: child, log: () => log, address: () => /ready (\S+)/.exec(log)![1]!, stop: () => stopGracefully(child) };
}

/** SIGTERM, then SIGKILL if the process has not exited 5 s later. */
function stopGracefully(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}

export function policies(kc: KubeConfig, namespace: string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  return {
    create: (name: string, spec: unknown) => custom.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: { name }, spec } }),
    status: async (name: string) => ((await custom.getNamespacedCustomObject({ ...ref, name })) as { status?: ResizePolicyStatus }).status ?? {},
  };
}

export const condition = (s: ResizePolicyStatus, type: string) => s.conditions?.find((x) => x.type === type);
