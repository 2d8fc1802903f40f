// A real Prometheus for the local cluster, on 127.0.0.1 only, scraping the simulated kubelets'
// /metrics. Backfilled blocks go into `tsdbDirFor(runDir)` before it starts (promtool's docs: the
// simplest and safest way; a running server would only pick them up at its next block reload).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBinaries } from '../cluster/binaries.ts';
import { freePorts } from '../cluster/ports.ts';
import { get, waitFor } from '../cluster/probe.ts';
import { exitedAtStart, startProcess, type ExitInfo } from '../cluster/process.ts';

export interface PrometheusOptions {
  /** Prometheus's own folder: config, log and TSDB. */
  runDir: string;
  /** host:port of each /metrics endpoint, on 127.0.0.1. */
  scrapeTargets: readonly string[];
  scrapeIntervalS?: number;
  /** Backfilled data obeys retention too (relative to the newest sample). */
  retention?: string;
  /** Default: the cached binary from `make tools`. */
  bin?: string;
  startTimeoutMs?: number;
  /** A fixed port (e.g. to restart Prometheus where clients expect it); default: a free one. */
  port?: number;
}

export interface RunningPrometheus {
  url: string;
  port: number;
  tsdbDir: string;
  logFile: string;
  configFile: string;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

export function tsdbDirFor(runDir: string): string {
  return join(runDir, 'tsdb');
}

/** The scrape configuration: one job, `kubelet`, keeping the targets' own labels (honor_labels). */
export function prometheusConfig(scrapeTargets: readonly string[], scrapeIntervalS: number): string {
  // JSON is valid YAML; no YAML emitter needed.
  return `${JSON.stringify(
    {
      global: { scrape_interval: `${scrapeIntervalS}s`, evaluation_interval: `${scrapeIntervalS}s` },
      scrape_configs: [{ job_name: 'kubelet', honor_labels: true, metrics_path: '/metrics', static_configs: [{ targets: [...scrapeTargets] }] }],
    },
    null,
    2,
  )}\n`;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const { runDir } = opts;
  const bin = opts.bin ?? resolveBinaries().prometheus;
  const tsdbDir = tsdbDirFor(runDir);
  const configFile = join(runDir, 'prometheus.yml');
  const logFile = join(runDir, 'prometheus.log');
  await mkdir(tsdbDir, { recursive: true });
  await writeFile(configFile, prometheusConfig(opts.scrapeTargets, opts.scrapeIntervalS ?? 5));
  const port = opts.port ?? (await freePorts(1))[0];
  const url = `http://127.0.0.1:${port!}`;
  const proc = startProcess('prometheus', bin, [
    `--config.file=${configFile}`,
    `--web.listen-address=127.0.0.1:${port!}`,
    `--storage.tsdb.path=${tsdbDir}`,
    `--storage.tsdb.retention.time=${opts.retention ?? '30d'}`,
  ], logFile);
  let exit: ExitInfo | undefined;
  void proc.exited.then((info) => (exit = info));
  try {
    await waitFor('Prometheus to be ready', async () => (await get(`${url}/-/ready`)).status === 200, {
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      abort: () => (exit ? exitedAtStart(proc, exit) : undefined),
    });
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { url, port: port!, tsdbDir, logFile, configFile, stop: () => proc.stop() };
}
