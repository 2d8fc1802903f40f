// Command line for the local cluster:
//   node hack/cluster/cli.ts up    [--name dev] [--nodes 2] [--scenario S] [--history-days 7]
//                                  start in the background, print kubeconfig and Prometheus URL
//   node hack/cluster/cli.ts down  [--name dev]   stop it and every process it started
//   node hack/cluster/cli.ts status [--name dev]
//   node hack/cluster/cli.ts serve [same options as up]   run in the foreground until Ctrl-C
// The environment: control plane, simulated kubelet, a scenario's workloads with backfilled
// history, Prometheus (local-env.ts).
// `up` starts a detached supervisor (`serve`) that owns the processes; its children die with it
// (PDEATHSIG), and `down` asks it to stop them in order.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { REPO_ROOT } from './binaries.ts';
import type { ClusterState } from './cluster.ts';
import { paths } from './components.ts';
import { startLocalEnv, scenarioFile } from './local-env.ts';

const runDirOf = (name: string) => join(process.env.ATTUNE_RUN_DIR ?? join(REPO_ROOT, '.run'), name);
const pidFile = (runDir: string) => join(runDir, 'supervisor.pid');
const supervisorLog = (runDir: string) => join(runDir, 'supervisor.log');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(runDir: string): number | undefined {
  if (!existsSync(pidFile(runDir))) return undefined;
  const pid = Number(readFileSync(pidFile(runDir), 'utf8'));
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function readState(runDir: string): ClusterState | undefined {
  const f = paths(runDir).state;
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ClusterState) : undefined;
}

const wholeNumber = (max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
  return n;
};

interface EnvFlags {
  name: string;
  nodes: number;
  scenario?: string;
  historyDays: number;
}

function printReady(s: ClusterState): void {
  console.log(`cluster ready: Kubernetes ${s.version} at ${s.server} (control plane started in ${(s.startedInMs / 1000).toFixed(1)}s)`);
  console.log(`  export KUBECONFIG=${s.kubeconfig}`);
  const endpoints = join(s.runDir, 'endpoints.json');
  if (existsSync(endpoints)) {
    const e = JSON.parse(readFileSync(endpoints, 'utf8')) as { prometheus: string; kubeletMetrics: string; scenario: string | null };
    console.log(`  prometheus: ${e.prometheus}   kubelet metrics: ${e.kubeletMetrics}${e.scenario ? `   scenario: ${e.scenario}` : ''}`);
  }
  console.log(`  logs: ${join(s.runDir, 'logs')}`);
}

async function serve(o: EnvFlags): Promise<void> {
  const runDir = runDirOf(o.name);
  mkdirSync(runDir, { recursive: true });
  if (o.scenario && !existsSync(scenarioFile(o.scenario))) {
    console.error(`error: scenario '${o.scenario}' not found at ${scenarioFile(o.scenario)}`);
    process.exit(1);
  }
  let env: Awaited<ReturnType<typeof startLocalEnv>>;
  try {
    env = await startLocalEnv({ runDir, nodes: o.nodes, historyDays: o.historyDays, ...(o.scenario ? { scenario: o.scenario } : {}) });
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  writeFileSync(pidFile(runDir), String(process.pid));
  printReady(env.cluster);
  if (env.history) console.log(`  history: ${o.historyDays} days backfilled for ${env.kubelet.pods().length} pods in ${env.history.seconds.toFixed(1)}s`);
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${sig}: stopping the cluster`);
    await env.stop();
    rmSync(pidFile(runDir), { force: true });
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void shutdown(sig));
}

async function up(o: EnvFlags): Promise<void> {
  const { name } = o;
  const runDir = runDirOf(name);
  const pid = runningPid(runDir);
  const existing = readState(runDir);
  if (pid && existing) {
    console.log(`cluster '${name}' is already running (supervisor pid ${pid})`);
    printReady(existing);
    return;
  }
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const out = openSync(supervisorLog(runDir), 'a');
  const args = ['serve', '--name', name, '--nodes', String(o.nodes), '--history-days', String(o.historyDays), ...(o.scenario ? ['--scenario', o.scenario] : [])];
  const child = spawn(process.execPath, [import.meta.filename, ...args], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    const state = readState(runDir);
    if (state && existsSync(pidFile(runDir))) {
      printReady(state);
      return;
    }
    if (exited) {
      const log = readFileSync(supervisorLog(runDir), 'utf8').trim().split('\n');
      console.error(log.findLast((l) => l.startsWith('error:')) ?? `error: the cluster supervisor exited (log: ${supervisorLog(runDir)})`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function down(name: string): Promise<void> {
  const runDir = runDirOf(name);
  const pid = runningPid(runDir);
  if (!pid) {
    console.log(`cluster '${name}' is not running`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // The supervisor's children have PDEATHSIG=SIGKILL: killing it takes them along.
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile(runDir), { force: true });
  console.log(`cluster '${name}' stopped`);
}

const program = new Command('cluster').description('local Kubernetes control plane on 127.0.0.1');
const envOptions = (c: Command) =>
  c
    .option('--name <name>', 'cluster name (run folder .run/<name>)', 'dev')
    .option('--nodes <n>', 'simulated nodes to register', wholeNumber(1000), 2)
    .option('--scenario <name>', 'workloads to run: a file in test/scenarios (without .yaml) or a path')
    .option('--history-days <n>', 'days of metrics history to backfill before Prometheus starts', wholeNumber(30), 7);
envOptions(program.command('up').description('start a cluster in the background')).action((o: EnvFlags) => up(o));
envOptions(program.command('serve').description('run a cluster in the foreground until interrupted')).action((o: EnvFlags) => serve(o));
program
  .command('down')
  .description('stop a cluster started with up')
  .option('--name <name>', 'cluster name', 'dev')
  .action((o: { name: string }) => down(o.name));
program
  .command('status')
  .option('--name <name>', 'cluster name', 'dev')
  .action((o: { name: string }) => {
    const runDir = runDirOf(o.name);
    const state = readState(runDir);
    if (runningPid(runDir) && state) printReady(state);
    else {
      console.log(`cluster '${o.name}' is not running`);
      process.exitCode = 1;
    }
  });

await program.parseAsync();
