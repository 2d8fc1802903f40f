// One-sentence summaries of what the chain decided, for events, logs and `kubectl attune`.
import { formatQuantity, percentileLabel } from './explain.ts';
import type { ContainerRecommendation, EstimateResult, Step, StepName } from './types.ts';

/**
 * One sentence saying what changed and why, e.g.
 * "cpu request 1 → 500m (p95 250m + 15% overhead = 288m, clamped by maxChangePercent 50% to 500m); confidence 0.9".
 * Given a container's recommendation, the cpu and memory sentences are joined with "; ".
 */
export function summarize(result: EstimateResult | ContainerRecommendation): string {
  if ('cpu' in result) return `${summarize(result.cpu)}; ${summarize(result.memory)}`;
  if (!result.ok) {
    const who = result.resource ?? 'resource';
    return result.reason === 'InsufficientData' ? `${who}: no recommendation yet: ${result.message}` : `${who}: invalid input (${result.field}): ${result.message}`;
  }
  const { resource, current, recommendation, explanation, policy } = result;
  const q = (v: number): string => formatQuantity(resource, v);
  const at = (name: StepName): Step | undefined => explanation.find((s) => s.step === name);
  const valueAt = (name: StepName): number | undefined => at(name)?.value;

  const c = current.request;
  const r = recommendation.request;
  const head =
    c === undefined ? `${resource} request unset → ${q(r)}` : r === c ? `${resource} request ${q(c)} unchanged` : `${resource} request ${q(c)} → ${q(r)}`;

  const p = valueAt('percentile') ?? 0;
  const o = valueAt('overhead') ?? p;
  let why = `${percentileLabel(policy.percentile)} ${q(p)}`;
  if (policy.overheadPercent > 0) why += ` + ${policy.overheadPercent}% overhead = ${q(o)}`;
  const b = valueAt('bounds') ?? o;
  if (b > o) why += `, raised to minAllowed ${q(b)}`;
  if (b < o) why += `, lowered to maxAllowed ${q(b)}`;
  const mc = valueAt('minChange') ?? b;
  if (c !== undefined && mc === c && b !== c) why += `, within minChangePercent ${policy.minChangePercent}% of the current request, kept`;
  const mx = valueAt('maxChange') ?? mc;
  if (mx !== mc) why += `, clamped by maxChangePercent ${policy.maxChangePercent}% to ${q(mx)}`;
  const rd = valueAt('rounding') ?? mx;
  if (rd !== mx) why += `, rounded to ${q(rd)}`;
  const cap = at('limitCap');
  if (cap) why += `, capped at the limit ${q(cap.value)}`;

  let limit = '';
  if (recommendation.limit !== undefined && current.limit !== undefined) {
    limit = recommendation.limit === current.limit ? `; limit ${q(current.limit)} unchanged` : `; limit ${q(current.limit)} → ${q(recommendation.limit)}`;
  }
  return `${head} (${why})${limit}; confidence ${result.confidence}`;
}
