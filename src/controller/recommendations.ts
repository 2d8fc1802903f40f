// The recommendation half of a reconcile, kept apart from the canary half so that safety never
// waits on Prometheus. Per policy it keeps the last published recommendation status (computed by
// the pure recommendStatus at the time the usage was read), for the generation and the target
// shape it was computed for:
//   · a new policy, a spec edit or a changed target (workload template) → read usage now, and
//     the reconcile waits for it (nothing else could be decided from the old numbers);
//   · otherwise, when older than the refresh period → read usage in the background, and enqueue
//     the policy when the answer is in; meanwhile every reconcile (pod events!) uses the last one.
import type { ResizePolicySpec } from '../api/spec.ts';
import type { ResizePolicyStatus } from '../api/status.ts';
import { parseDuration } from '../core/duration.ts';
import { recommendStatus, workloadKey, type RecommendSnapshot, type TargetResolution } from '../core/recommend-status.ts';
import type { UsageAnswer } from '../core/usage.ts';
import { MetricsError } from '../metrics/source.ts';
import type { MetricsSources } from './metrics-sources.ts';

export interface Recommendation {
  /** Conditions Ready / MetricsAvailable / InvalidSpec, observedGeneration and workloads. */
  status: ResizePolicyStatus;
  atMs: number;
  generation: number;
  /** The target shape it was computed for (workloads and their template resources). */
  targetSig: string;
}

export interface RefreshInput {
  key: string;
  namespace: string;
  generation: number;
  spec: ResizePolicySpec;
  target: TargetResolution;
  /** The policy's persisted status (previous recommendations, to keep and mark stale on failures). */
  previous: ResizePolicyStatus | undefined;
}

export const targetSignature = (t: TargetResolution): string => JSON.stringify(t.found ? t.workloads : t.reason);

export class Recommendations {
  private readonly sources: MetricsSources;
  private readonly staleAfterMs: number;
  private readonly memo = new Map<string, Recommendation>();
  private readonly inFlight = new Map<string, Promise<Recommendation>>();
  /** Usage reads made (for tests and /metrics). */
  refreshes = 0;

  constructor(sources: MetricsSources, staleAfterMs: number) {
    this.sources = sources;
    this.staleAfterMs = staleAfterMs;
  }

  /** The recommendation to decide with now, reading usage first when the memo cannot serve this generation and target. */
  async current(input: RefreshInput): Promise<Recommendation> {
    const m = this.memo.get(input.key);
    const fits = (r: Recommendation | undefined) => r !== undefined && r.generation === input.generation && r.targetSig === targetSignature(input.target);
    if (fits(m)) return m!;
    // A refresh in flight may be for the previous generation or target: then read again.
    const r = await this.refresh(input);
    return fits(r) ? r : this.refresh(input);
  }

  /** Whether the memo of `key` is older than `refreshMs` (or missing). */
  due(key: string, refreshMs: number, nowMs: number): boolean {
    const m = this.memo.get(key);
    return !m || nowMs - m.atMs >= refreshMs;
  }

  age(key: string, nowMs: number): number | undefined {
    const m = this.memo.get(key);
    return m ? nowMs - m.atMs : undefined;
  }

  /** Reads usage and recomputes; concurrent calls for one policy share one read. */
  refresh(input: RefreshInput): Promise<Recommendation> {
    const running = this.inFlight.get(input.key);
    if (running) return running;
    const p = this.compute(input).finally(() => this.inFlight.delete(input.key));
    this.inFlight.set(input.key, p);
    return p;
  }

  forget(key: string): void {
    this.memo.delete(key);
  }

  private async compute(input: RefreshInput): Promise<Recommendation> {
    const { namespace, spec, target } = input;
    const now = Date.now();
    this.refreshes++;
    const usage = new Map<string, { cpu: UsageAnswer; memory: UsageAnswer }>();
    let metricsConfigError: RecommendSnapshot['metricsConfigError'];
    if (target.found) {
      const src = await this.sources.forPolicy(namespace, spec);
      if (!src.ok) metricsConfigError = { reason: src.reason, message: src.message };
      else {
        const windowMs = parseDuration(spec.metrics.historyWindow)!;
        const stepMs = parseDuration(spec.metrics.step)!;
        await Promise.all(
          target.workloads.map(async (w) => {
            const ask = async (resource: 'cpu' | 'memory'): Promise<UsageAnswer> => {
              try {
                const custom = spec.metrics.query?.[resource];
                const byContainer = await src.source.usage({ namespace, kind: w.kind, name: w.name, resource, percentile: spec[resource].percentile, windowMs, stepMs, endMs: now, ...(custom ? { custom } : {}) });
                return { ok: true, byContainer };
              } catch (e) {
                if (e instanceof MetricsError) return { ok: false, kind: e.kind, message: e.message };
                throw e;
              }
            };
            const [cpu, memory] = await Promise.all([ask('cpu'), ask('memory')]);
            usage.set(workloadKey(w), { cpu, memory });
          }),
        );
      }
    }
    const previous = this.memo.get(input.key)?.status ?? input.previous;
    const status = recommendStatus(
      { generation: input.generation, spec, target, usage, ...(metricsConfigError ? { metricsConfigError } : {}), ...(previous ? { previous } : {}), staleAfterMs: this.staleAfterMs },
      now,
    );
    // Only the recommendation part: the canary part of the status is the reconcile's.
    const { canary: _c, resizeHistory: _h, ...own } = status;
    const rec: Recommendation = { status: own, atMs: now, generation: input.generation, targetSig: targetSignature(target) };
    this.memo.set(input.key, rec);
    return rec;
  }
}
