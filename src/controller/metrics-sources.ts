// The metrics source of each policy: its spec.metrics.prometheus (credentials and CA read from the
// referenced Secret / ConfigMap in the policy's namespace), else the operator's default Prometheus.
// Sources are cached by their effective configuration, so a token rotation makes a new one.
import { createHash } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { ResizePolicySpec } from '../api/spec.ts';
import { PrometheusSource } from '../metrics/prometheus-source.ts';
import type { MetricsSource } from '../metrics/source.ts';

export type SourceResult = { ok: true; source: MetricsSource } | { ok: false; reason: 'NoMetricsSource' | 'SecretNotFound'; message: string };

export interface SourceFactoryOptions {
  defaultUrl?: string;
  timeoutMs?: number;
  concurrency?: number;
}

export class MetricsSources {
  private readonly core: CoreV1Api;
  private readonly opts: SourceFactoryOptions;
  private readonly cache = new Map<string, MetricsSource>();
  private readonly shared: MetricsSource | undefined;

  constructor(core: CoreV1Api, opts: SourceFactoryOptions) {
    this.core = core;
    this.opts = opts;
    this.shared = opts.defaultUrl ? new PrometheusSource({ url: opts.defaultUrl, ...this.limits() }) : undefined;
  }

  async forPolicy(namespace: string, spec: ResizePolicySpec): Promise<SourceResult> {
    const p = spec.metrics.prometheus;
    if (!p) {
      return this.shared
        ? { ok: true, source: this.shared }
        : { ok: false, reason: 'NoMetricsSource', message: 'spec.metrics.prometheus is not set and the operator has no default (--prometheus-url)' };
    }
    const read = async (kind: 'Secret' | 'ConfigMap', ref: { name: string; key: string } | undefined, field: string): Promise<string | undefined> => {
      if (!ref) return undefined;
      try {
        if (kind === 'Secret') {
          const s = await this.core.readNamespacedSecret({ name: ref.name, namespace });
          const v = s.data?.[ref.key];
          if (v === undefined) throw new Error(`key ${ref.key} missing`);
          return Buffer.from(v, 'base64').toString('utf8').trim();
        }
        const cm = await this.core.readNamespacedConfigMap({ name: ref.name, namespace });
        const v = cm.data?.[ref.key];
        if (v === undefined) throw new Error(`key ${ref.key} missing`);
        return v;
      } catch (e) {
        const why = (e as { code?: number }).code === 404 ? 'not found' : e instanceof Error ? e.message : String(e);
        throw new ReferenceError(`${field}: ${kind} ${namespace}/${ref.name} key ${ref.key}: ${why}`, { cause: e });
      }
    };
    let token: string | undefined;
    let ca: string | undefined;
    try {
      token = await read('Secret', p.bearerTokenSecretRef, 'spec.metrics.prometheus.bearerTokenSecretRef');
      ca = (await read('Secret', p.caSecretRef, 'spec.metrics.prometheus.caSecretRef')) ?? (await read('ConfigMap', p.caConfigMapRef, 'spec.metrics.prometheus.caConfigMapRef'));
    } catch (e) {
      return { ok: false, reason: 'SecretNotFound', message: e instanceof Error ? e.message : String(e) };
    }
    const config = { url: p.url, insecureSkipVerify: p.insecureSkipVerify, headers: p.headers ?? {}, ...(token ? { bearerToken: token } : {}), ...(ca ? { ca } : {}) };
    const key = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    let source = this.cache.get(key);
    if (!source) this.cache.set(key, (source = new PrometheusSource({ ...config, ...this.limits() })));
    return { ok: true, source };
  }

  private limits() {
    return { ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}), ...(this.opts.concurrency ? { concurrency: this.opts.concurrency } : {}) };
  }
}
