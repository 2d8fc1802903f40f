// attune operator: the composition root — the only place that reads flags and environment and
// wires adapters (Kubernetes client, Prometheus, HTTP) to the controller.
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { Controller } from './controller/controller.ts';
import { parseDuration } from './core/duration.ts';
import { PooledKubeConfig } from './kube/kubeconfig.ts';
import { queryStats } from './metrics/prometheus-source.ts';
import { startHealthServer } from './runtime/health-server.ts';

const duration = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a duration such as 30s, 5m, 2h');
  return ms;
};
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
};

const o = new Command('attune')
  .description('Right-sizes container CPU and memory in place, safely.')
  .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster, then $KUBECONFIG / ~/.kube/config)')
  .option('--namespace <ns>', 'watch one namespace only (default: all)')
  .option('--prometheus-url <url>', 'Prometheus for policies without spec.metrics.prometheus', process.env.ATTUNE_PROMETHEUS_URL)
  .option('--refresh <duration>', 'how often recommendations are recomputed', duration, 300_000)
  .option('--stale-after <duration>', 'a recommendation not refreshed for this long is marked stale', duration, 1_800_000)
  .option('--resync <duration>', 'periodic re-reconcile of every policy', duration, 600_000)
  .option('--workers <n>', 'policies reconciled at once', positiveInt, 4)
  .option('--query-timeout <duration>', 'timeout of one Prometheus query', duration, 30_000)
  .option('--query-concurrency <n>', 'Prometheus queries in flight', positiveInt, 8)
  .option('--max-resizes-per-pass <n>', 'pod resizes per reconcile of one policy; the rest follow at once in the next', positiveInt, 50)
  .option('--resize-timeout <duration>', 'a resize not applied by the kubelet (or Deferred) for this long fails and is reverted', duration, 300_000)
  .option('--health-addr <host:port>', 'address of /healthz, /readyz and /metrics', '127.0.0.1:8081')
  .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
  .parse()
  .opts<{
    kubeconfig?: string;
    namespace?: string;
    prometheusUrl?: string;
    refresh: number;
    staleAfter: number;
    resync: number;
    workers: number;
    queryTimeout: number;
    queryConcurrency: number;
    maxResizesPerPass: number;
    resizeTimeout: number;
    healthAddr: string;
    logLevel: string;
  }>();

const log = pino({ level: o.logLevel, base: { component: 'attune' } });
// Shared connections: client-node alone opens one per request (src/kube/kubeconfig.ts).
const kc = new PooledKubeConfig();
if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
else kc.loadFromDefault();

const controller = new Controller({
  kc,
  log,
  ...(o.prometheusUrl ? { defaultPrometheusUrl: o.prometheusUrl } : {}),
  ...(o.namespace ? { namespace: o.namespace } : {}),
  refreshMs: o.refresh,
  staleAfterMs: o.staleAfter,
  resyncMs: o.resync,
  workers: o.workers,
  queryTimeoutMs: o.queryTimeout,
  queryConcurrency: o.queryConcurrency,
  maxResizesPerPass: o.maxResizesPerPass,
  resizeTimeoutMs: o.resizeTimeout,
});
const [host, port] = [o.healthAddr.slice(0, o.healthAddr.lastIndexOf(':')), Number(o.healthAddr.slice(o.healthAddr.lastIndexOf(':') + 1))];
const health = await startHealthServer(host || '127.0.0.1', port, { health: () => controller.health(), counters: () => ({ ...controller.stats, prometheus_queries_total: queryStats.queries, prometheus_query_errors_total: queryStats.queryErrors, prometheus_bytes_received_total: queryStats.bytesReceived }) });
log.info({ healthAddr: `${host}:${health.port}` }, 'health endpoints up');

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  void controller
    .stop()
    .then(() => health.server.close())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// The operator must not crash on anything: log what escaped and keep serving.
process.on('unhandledRejection', (e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'unhandled rejection'));

await controller.start();
console.log(`ready ${host}:${health.port}`);
