import { quantileSorted } from 'simple-statistics';

/**
 * The `percentile`-th percentile (0 < percentile ≤ 100) of usage samples.
 *
 * Definition: linear interpolation between the two nearest ranked samples, rank = p·(n−1) (Hyndman &
 * Fan type 7, numpy's and R's default), which is what simple-statistics' quantileSorted computes.
 * Why this one:
 *  - it is exactly Prometheus's definition (`quantile_over_time`, `quantile`: rank = φ·(N−1), weighted
 *    average of the two neighbours), so a percentile computed here from query_range samples and one
 *    computed server-side from the same points agree, and the two paths of the metrics adapter can be
 *    swapped without moving recommendations;
 *  - it never leaves [min, max] of the observed samples (no extrapolation: nothing is invented), it is
 *    continuous and monotonic in p, and p100 is the observed maximum.
 * The caller validated the samples (non-empty, finite, ≥ 0).
 */
export function percentileOf(samples: readonly number[], percentile: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return quantileSorted(sorted, percentile / 100);
}

/**
 * Rounds a (possibly interpolated, floating-point) percentile up to a whole unit (millicore or byte),
 * so headroom is never lost. A float artefact below 1e-6 of a unit is ignored: a percentile that lands
 * exactly on a sample value (e.g. 250 computed as 250.00000000000003) is not bumped to the next unit.
 */
export function ceilUnits(x: number): number {
  return Math.max(0, Math.ceil(x - 1e-6));
}
