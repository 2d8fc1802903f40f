// Days of history before Prometheus starts: the container model is stepped over the past window,
// its metrics are streamed to OpenMetrics files, and promtool turns each file into TSDB blocks in
// Prometheus's data folder. The final states are returned so the live kubelet continues every
// counter from where the history ends.
//
// Sizes: cAdvisor label sets are long (~290 bytes a sample), so a container-week at 60 s is
// ~20 MB of text, and promtool mmaps its whole input (its RSS grows by the file size). Hence
// pods are written to files of at most `maxFileBytes`, each imported by promtool (while the next
// one is generated, using a second core) and deleted: disk, page cache and our own heap stay
// bounded however many containers there are. Prometheus (≥ 2.39) queries and compacts the
// resulting overlapping blocks itself.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { startCause } from '../cluster/log-cause.ts';
import { startProcess, type ManagedProcess } from '../cluster/process.ts';
import { initialState, step, type ContainerState } from './container-model.ts';
import { openMetricsPodWriter, OPENMETRICS_EOF, type ContainerSample, type Resources } from './exposition.ts';
import { DAY_MS, type ContainerProfile } from './profile.ts';

export interface BackfillContainer {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  image: string;
  node: string;
  requests: Resources;
  limits: Resources;
  profile: ContainerProfile;
  /** Noise seed; the live kubelet must use the same one for the container to continue. */
  seed: string;
  /** Default: the start of the window (endMs − days). */
  startedAtMs?: number;
}

export interface BackfillOptions {
  promtool: string;
  /** A TSDB folder (Prometheus's --storage.tsdb.path); blocks are added to it. */
  outDir: string;
  containers: readonly BackfillContainer[];
  /** The last sample's time; live scraping continues after it. */
  endMs: number;
  days?: number;
  stepMs?: number;
  /** Where the OpenMetrics files and promtool's log go. */
  workDir: string;
  /** A file is closed and imported once it is this large (whole pods per file). */
  maxFileBytes?: number;
  /** Keep the OpenMetrics files after a successful import (they are large). */
  keepFiles?: boolean;
}

export interface BackfillResult {
  /** Model state at endMs, keyed by backfillKey. */
  finalStates: Map<string, ContainerState>;
  samples: number;
  /** Total size of the OpenMetrics files, and how many were imported. */
  bytes: number;
  files: number;
  /** Wall time in total; time spent generating, and promtool's run time (they overlap). */
  seconds: number;
  generateSeconds: number;
  importSeconds: number;
}

export const backfillKey = (c: { namespace: string; pod: string; container: string }) => `${c.namespace}/${c.pod}/${c.container}`;

const FLUSH_CHARS = 1 << 20;
const DEFAULT_MAX_FILE_BYTES = 256 * 2 ** 20;

function groupByPod(containers: readonly BackfillContainer[]): BackfillContainer[][] {
  const pods = new Map<string, BackfillContainer[]>();
  for (const c of containers) {
    const key = `${c.namespace}/${c.pod}/${c.uid}`;
    let list = pods.get(key);
    if (!list) pods.set(key, (list = []));
    list.push(c);
  }
  return [...pods.values()];
}

/** One promtool import; `done` never rejects (an unawaited rejection would kill the process). */
interface Import {
  proc: ManagedProcess;
  done: Promise<{ error?: Error; ms: number }>;
}

function startImport(promtool: string, file: string, outDir: string, logFile: string, keepFile: boolean): Import {
  const started = Date.now();
  const proc = startProcess('promtool', promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=168h', '--quiet', file, outDir], logFile);
  const done = proc.exited.then(async (exit) => {
    const ms = Date.now() - started;
    if (exit.code === 0) {
      if (!keepFile) await rm(file, { force: true });
      return { ms };
    }
    const cause = startCause(await readFile(logFile, 'utf8').catch(() => ''));
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
    return { ms, error: new Error(`promtool tsdb create-blocks-from ${how}${cause ? `: ${cause}` : ''} (log: ${logFile}, input: ${file})`) };
  });
  return { proc, done };
}

/**
 * Samples fall on the grid endMs − k·stepMs (so the last one is exactly endMs), from the first
 * grid point after each pod's start. Requests and limits are constant over the window. Throws
 * (after stopping promtool) if generation or any import fails.
 */
export async function backfill(opts: BackfillOptions): Promise<BackfillResult> {
  const { promtool, outDir, containers, endMs, workDir } = opts;
  const days = opts.days ?? 7;
  const stepMs = opts.stepMs ?? 60_000;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!(stepMs > 0) || !(days > 0)) throw new Error(`backfill: days (${days}) and stepMs (${stepMs}) must be positive`);
  const windowStart = endMs - days * DAY_MS;
  const t0 = Date.now();
  await mkdir(workDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  const logFile = join(workDir, 'promtool-backfill.log');
  const finalStates = new Map<string, ContainerState>();
  let samples = 0;
  let bytes = 0;
  let files = 0;
  let generateMs = 0;
  let importMs = 0;
  let out: WriteStream | undefined;
  let file = '';
  let buf = '';
  let pending: Import | undefined;

  const flush = async () => {
    if (buf === '' || !out) return;
    const ok = out.write(buf);
    buf = '';
    if (!ok) await once(out, 'drain');
  };
  const awaitPending = async () => {
    if (!pending) return;
    const { error, ms } = await pending.done;
    pending = undefined;
    importMs += ms;
    if (error) throw error;
  };
  /** Ends the current file and imports it, after the previous import has finished. */
  const closeFile = async () => {
    if (!out) return;
    buf += OPENMETRICS_EOF;
    await flush();
    out.end();
    await finished(out);
    bytes += out.bytesWritten;
    out = undefined;
    await awaitPending();
    pending = startImport(promtool, file, outDir, logFile, opts.keepFiles ?? false);
  };

  try {
    let genStart = Date.now();
    for (const pod of groupByPod(containers)) {
      if (!out) {
        file = join(workDir, `backfill-${endMs}-${files++}.om.txt`);
        out = createWriteStream(file);
      }
      const starts = pod.map((c) => c.startedAtMs ?? windowStart);
      const podStart = Math.min(...starts);
      if (podStart >= endMs) throw new Error(`backfill: pod ${pod[0]!.namespace}/${pod[0]!.pod} starts at or after endMs`);
      const states = starts.map((s) => initialState(s));
      const identity: ContainerSample[] = pod.map((c, i) => ({ ...c, podUid: c.uid, state: states[i]! }));
      const writer = openMetricsPodWriter(identity);
      let prev = podStart;
      // From the first grid point strictly after the pod's start.
      for (let k = Math.ceil((endMs - podStart) / stepMs) - 1; k >= 0; k--) {
        const t = endMs - k * stepMs;
        for (let i = 0; i < pod.length; i++) {
          const c = pod[i]!;
          states[i] = step(states[i]!, c.profile, c.limits, c.seed, Math.max(prev, starts[i]!), t).state;
        }
        prev = t;
        buf += writer.write(states, t, k === 0);
        if (buf.length >= FLUSH_CHARS) await flush();
      }
      samples += writer.samples;
      pod.forEach((c, i) => finalStates.set(backfillKey(c), states[i]!));
      await flush();
      if (out.bytesWritten + out.writableLength >= maxFileBytes) {
        generateMs += Date.now() - genStart;
        await closeFile();
        genStart = Date.now();
      }
    }
    generateMs += Date.now() - genStart;
    await closeFile();
    await awaitPending();
  } catch (e) {
    out?.destroy();
    if (pending) {
      await pending.proc.stop();
      await pending.done;
    }
    throw e;
  }
  return { finalStates, samples, bytes, files, seconds: (Date.now() - t0) / 1000, generateSeconds: generateMs / 1000, importSeconds: importMs / 1000 };
}
