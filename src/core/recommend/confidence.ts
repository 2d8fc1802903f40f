// How much history backs a recommendation: the minimum-data gate and the confidence figure.
import { formatDuration, plural } from './explain.ts';
import type { MinimumData } from './types.ts';

export interface DataCoverage {
  dataPoints: number;
  spanMs: number;
  windowMs: number;
  stepMs?: number;
  minimumData: MinimumData;
}

export interface Shortfall {
  need: MinimumData;
  have: MinimumData;
  missing: MinimumData;
  message: string;
}

/**
 * Whether the data meets the minimum; if not, what is missing, as data and as a sentence such as
 * "need 100 samples over 24h, have 37 over 5h12m: 63 samples and 18h48m more".
 * A percentile needs at least one sample, so the sample minimum is never below 1.
 */
export function shortfall(c: DataCoverage): Shortfall | undefined {
  const need = { samples: Math.max(1, c.minimumData.samples), spanMs: c.minimumData.spanMs };
  const have = { samples: c.dataPoints, spanMs: c.spanMs };
  const missing = { samples: Math.max(0, need.samples - have.samples), spanMs: Math.max(0, need.spanMs - have.spanMs) };
  if (missing.samples === 0 && missing.spanMs === 0) return undefined;
  const more: string[] = [];
  if (missing.samples > 0) more.push(plural(missing.samples, 'sample'));
  if (missing.spanMs > 0) more.push(formatDuration(missing.spanMs, 'ceil'));
  const over = (ms: number, rounding: 'floor' | 'ceil'): string => (need.spanMs > 0 ? ` over ${formatDuration(ms, rounding)}` : '');
  const message = `need ${plural(need.samples, 'sample')}${over(need.spanMs, 'ceil')}, have ${have.samples}${over(have.spanMs, 'floor')}: ${more.join(' and ')} more`;
  return { need, have, missing, message };
}

/**
 * The number of points a complete history over the window would have:
 *  - windowMs / stepMs when the query resolution is known;
 *  - otherwise the minimum's density extended to the window: samples × windowMs / spanMs;
 *  - undefined when neither says (then only the span counts).
 */
export function expectedPoints(c: DataCoverage): number | undefined {
  if (c.stepMs !== undefined && c.stepMs > 0) return Math.max(1, c.windowMs / c.stepMs);
  if (c.minimumData.spanMs > 0 && c.minimumData.samples > 0) {
    return Math.max(1, (c.minimumData.samples * c.windowMs) / c.minimumData.spanMs);
  }
  return undefined;
}

/**
 * confidence = min(1, spanMs / windowMs, dataPoints / expectedPoints), rounded down to 0.01;
 * 0 when the data is below the minimum.
 *
 * The weaker of two coverages: how much of the window the history spans, and how many of the points
 * a complete window would have are there. (This equals min(1, span/window) × min(1, density) where
 * density = points / points expected over the span actually covered, so a short but complete history
 * is not penalised twice.) It is monotonic: more points or a longer span never lowers it. It reaches
 * 1 only with a full window of complete data. Rounded down to two decimals so that it never
 * overstates and so that status does not churn on every pass.
 */
export function confidence(c: DataCoverage): number {
  if (shortfall(c)) return 0;
  if (!(c.windowMs > 0)) return 0;
  const expected = expectedPoints(c);
  const span = c.spanMs / c.windowMs;
  const points = expected === undefined ? 1 : c.dataPoints / expected;
  const raw = Math.min(1, span, points);
  return Math.max(0, Math.floor(raw * 100 + 1e-9) / 100);
}
