// The Prometheus adapter of the MetricsSource port, on prometheus-query. One instant query per
// workload and resource (promql.ts); bounded concurrency across all callers; a timeout per query;
// every response validated before use. Failures become a typed MetricsError — never a number made
// up, never a silently empty answer.
import { Agent } from 'node:https';
import { PrometheusDriver } from 'prometheus-query';
import { z } from 'zod';
import { usageStatsQuery } from './promql.ts';
import { MetricsError, type ContainerUsage, type MetricsSource, type UsageRequest } from './source.ts';

export interface PrometheusSourceOptions {
  url: string;
  bearerToken?: string;
  /** PEM bundle to verify the server with. */
  ca?: string;
  insecureSkipVerify?: boolean;
  /** Extra headers, e.g. a tenant id (X-Scope-OrgID). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Queries in flight at once, across every workload. */
  concurrency?: number;
}

/** What a usage-stats query returns after prometheus-query's parsing. */
const VectorSample = z.object({
  metric: z.object({ labels: z.record(z.string(), z.string()) }),
  value: z.object({ value: z.number() }),
});
const VectorResult = z.object({ resultType: z.literal('vector'), result: z.array(VectorSample) });

/** Counters shared by every source of the process (for /metrics and benchmarks). */
export const queryStats = { queries: 0, queryErrors: 0, bytesReceived: 0 };

export class PrometheusSource implements MetricsSource {
  private readonly driver: PrometheusDriver;
  private readonly concurrency: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: PrometheusSourceOptions) {
    const agent = opts.url.startsWith('https:') ? new Agent({ ...(opts.ca ? { ca: opts.ca } : {}), rejectUnauthorized: !opts.insecureSkipVerify }) : undefined;
    this.driver = new PrometheusDriver({
      endpoint: opts.url.replace(/\/+$/, ''),
      baseURL: '/api/v1',
      headers: { ...(opts.headers ?? {}), ...(opts.bearerToken ? { Authorization: `Bearer ${opts.bearerToken}` } : {}) },
      timeout: opts.timeoutMs ?? 30_000,
      preferPost: true, // long PromQL stays out of URLs and access logs
      ...(agent ? { requestInterceptor: { onFulfilled: (config) => Object.assign(config, { httpsAgent: agent }) } } : {}),
      // A non-Prometheus error body (a proxy's 403 or 502 page) would lose its HTTP status in
      // prometheus-query's normaliser; give it a Prometheus-shaped body first.
      responseInterceptor: {
        onFulfilled: (r) => {
          queryStats.bytesReceived += Number(r.headers['content-length'] ?? 0) || JSON.stringify(r.data).length;
          return r;
        },
        onRejected: (err: Error & { response?: { status: number; data?: unknown } }) => {
          const r = err.response;
          if (r && (typeof r.data !== 'object' || r.data === null || !('status' in r.data))) {
            const body = typeof r.data === 'string' ? r.data.slice(0, 120) : '';
            r.data = { status: 'error', errorType: 'http', error: `HTTP ${r.status}${body ? `: ${body}` : ''}` };
          }
          throw err; // an AxiosError, which prometheus-query normalises
        },
      },
    });
    this.concurrency = opts.concurrency ?? 8;
  }

  async usage(req: UsageRequest): Promise<Map<string, ContainerUsage>> {
    const query = usageStatsQuery(req);
    const raw = await this.limited(() => this.instant(query, req.endMs));
    return combine(raw, req.endMs);
  }

  private async instant(query: string, endMs: number): Promise<z.infer<typeof VectorResult>> {
    let res: unknown;
    queryStats.queries++;
    try {
      res = await this.driver.instantQuery(query, new Date(endMs));
    } catch (e) {
      queryStats.queryErrors++;
      throw toMetricsError(e);
    }
    const parsed = VectorResult.safeParse(res);
    if (!parsed.success) throw new MetricsError('BadResponse', `unexpected answer from Prometheus: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  private async limited<T>(f: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    try {
      return await f();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

/** Per container: the max of its pods' percentiles (see promql.ts), total samples, and span. */
export function combine(raw: z.infer<typeof VectorResult>, endMs: number): Map<string, ContainerUsage> {
  const out = new Map<string, ContainerUsage & { firstMs: number }>();
  for (const s of raw.result) {
    const { container, pod, stat } = s.metric.labels;
    const v = s.value.value;
    if (!container || !pod || !stat) throw new MetricsError('BadResponse', `a series without pod, container or stat labels: ${JSON.stringify(s.metric.labels)}`);
    if (!Number.isFinite(v) || v < 0) throw new MetricsError('BadResponse', `a ${stat} of ${String(v)} for ${pod}/${container}`);
    let c = out.get(container);
    if (!c) out.set(container, (c = { container, percentile: 0, dataPoints: 0, spanMs: 0, pods: 0, firstMs: Infinity }));
    if (stat === 'p') {
      c.percentile = Math.max(c.percentile, v);
      c.pods++;
    } else if (stat === 'count') c.dataPoints += v;
    else if (stat === 'first') c.firstMs = Math.min(c.firstMs, v * 1000);
  }
  const result = new Map<string, ContainerUsage>();
  for (const [name, { firstMs, ...c }] of out) result.set(name, { ...c, spanMs: Number.isFinite(firstMs) ? Math.max(0, endMs - firstMs) : 0 });
  return result;
}

/** prometheus-query rejects with plain objects of these shapes (its handleResponse). */
interface DriverError {
  errorType?: 'timeout_error' | 'ssl_error' | 'network_error' | 'client_error' | 'http_error';
  error?: string;
  code?: string;
  httpStatus?: number;
  prometheus?: { errorType?: string; error?: string };
}

export function toMetricsError(e: unknown): MetricsError {
  if (e instanceof MetricsError) return e;
  const err = (typeof e === 'object' && e !== null ? e : { error: String(e) }) as DriverError;
  const message = err.error ?? (e instanceof Error ? e.message : 'unknown error');
  switch (err.errorType) {
    case 'timeout_error':
      return new MetricsError('Timeout', `Prometheus did not answer in time: ${message}`);
    case 'network_error':
    case 'ssl_error':
      return new MetricsError('Unreachable', `Prometheus is unreachable${err.code ? ` (${err.code})` : ''}: ${message}`);
    case 'http_error': {
      const status = err.httpStatus;
      if (status === 401 || status === 403) return new MetricsError('Unauthorized', `Prometheus refused the credentials (HTTP ${status})`);
      if (err.prometheus?.errorType === 'bad_data' || status === 400 || status === 422) return new MetricsError('BadQuery', `Prometheus rejected the query: ${message}`);
      if (err.prometheus?.errorType === 'timeout' || status === 503) return new MetricsError('Timeout', `Prometheus gave up on the query: ${message}`);
      return new MetricsError('BadResponse', `Prometheus answered HTTP ${String(status)}: ${message}`);
    }
    default:
      return new MetricsError('BadResponse', `Prometheus answered something unexpected: ${message}`);
  }
}
