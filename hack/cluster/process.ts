// Child processes of a local cluster: each writes stdout and stderr to its own log file, is
// registered so that it is killed when this process exits for any reason, and — where util-linux's
// setpriv exists — gets PR_SET_PDEATHSIG=SIGKILL so the kernel kills it even if this process is
// SIGKILLed and has no chance to clean up. No orphans, whatever happens to the launcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { startCause } from './log-cause.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** A component that did not come up. The message is one line naming the cause and the log. */
export class StartError extends Error {
  readonly logFile: string | undefined;
  constructor(message: string, logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = 'StartError';
    this.logFile = logFile;
  }
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain kill is.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * The command line that runs `bin args` so the kernel kills it (SIGKILL) when this process dies,
 * however it dies — through setpriv where it exists, plainly otherwise.
 */
export function dieWithParent(bin: string, args: readonly string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, [...args]];
}

export function startProcess(name: string, bin: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): ManagedProcess {
  if (!existsSync(bin)) throw new StartError(`${name}: binary not found at ${bin}; run \`make tools\``);
  installExitHook();
  const fd = openSync(logFile, 'a');
  const [cmd, argv] = dieWithParent(bin, args);
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new StartError(`${name}: could not be started`, logFile);
  live.add(child);
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return {
    name,
    pid: child.pid,
    logFile,
    exited,
    hasExited: () => done,
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The error to raise when `proc` exited while it should have been starting. */
export function exitedAtStart(proc: ManagedProcess, info: ExitInfo): StartError {
  const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${String(info.code)}`;
  let log = '';
  try {
    log = readFileSync(proc.logFile, 'utf8');
  } catch {
    /* no log written */
  }
  const cause = startCause(log);
  return new StartError(`${proc.name} ${how} during start${cause ? `: ${cause}` : ''}`, proc.logFile);
}
