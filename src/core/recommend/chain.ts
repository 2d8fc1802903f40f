// The estimator chain for one container and one resource (issue 4, item 4; docs/recommendations.md).
//
//   percentile → overhead → bounds → min-change filter → max-change step clamp → grid rounding → limits
//
// Pure: no I/O, no clock, no logging, never throws. Every step records the value after it (an
// integer, millicores or bytes) and a sentence saying why. With too little data no number is made up:
// the result says how much is missing instead.
import { confidence, shortfall } from './confidence.ts';
import { changeBelowPercent, mulDiv, scaleByPercent } from './exact.ts';
import { GRID, GRID_LABEL, UNIT_LABEL, formatDuration, formatPercent, formatQuantity, percentileLabel, plural } from './explain.ts';
import { ceilUnits, percentileOf } from './percentile.ts';
import type { EstimateInput, EstimateResult, Recommendation, Step } from './types.ts';
import { validateInput } from './validate.ts';

export function estimate(input: EstimateInput): EstimateResult {
  const invalid = validateInput(input);
  if (invalid) return invalid;

  const { resource, policy, current, spanMs, windowMs, minimumData } = input;
  const dataPoints = input.samples ? input.samples.length : (input.dataPoints ?? 0);
  const coverage = { dataPoints, spanMs, windowMs, minimumData, ...(input.stepMs === undefined ? {} : { stepMs: input.stepMs }) };

  const short = shortfall(coverage);
  if (short) {
    return { ok: false, reason: 'InsufficientData', resource, message: short.message, need: short.need, have: short.have, missing: short.missing, dataPoints, spanMs };
  }

  const q = (v: number): string => formatQuantity(resource, v);
  const g = GRID[resource];
  const ceilGrid = (v: number): number => Math.ceil(v / g) * g;
  const floorGrid = (v: number): number => Math.floor(v / g) * g;
  const steps: Step[] = [];
  const { minAllowed: min, maxAllowed: max } = policy;

  // 1. Percentile over the window.
  const label = percentileLabel(policy.percentile);
  const span = formatDuration(spanMs);
  const unit = UNIT_LABEL[resource];
  let value: number;
  if (input.samples) {
    value = ceilUnits(percentileOf(input.samples, policy.percentile));
    steps.push({
      step: 'percentile',
      value,
      note: `${label} of ${plural(dataPoints, 'sample')} over ${span} is ${q(value)} (linear interpolation between ranked samples, as Prometheus's quantile_over_time; rounded up to a whole ${unit})`,
    });
  } else {
    value = ceilUnits(input.percentileValue ?? 0);
    steps.push({
      step: 'percentile',
      value,
      note: `${label} over ${span}, computed by Prometheus from ${plural(dataPoints, 'point')}, is ${q(value)} (rounded up to a whole ${unit})`,
    });
  }

  // 2. Overhead (headroom), rounded up to a whole unit, computed exactly.
  const base = value;
  if (policy.overheadPercent > 0) {
    value = scaleByPercent(base, policy.overheadPercent, 1, 'ceil');
    steps.push({ step: 'overhead', value, note: `${q(base)} + ${policy.overheadPercent}% overhead = ${q(value)}` });
  } else {
    steps.push({ step: 'overhead', value, note: `no overhead configured: ${q(value)}` });
  }

  // 3. Bounds.
  if (min !== undefined && value < min) {
    value = min;
    steps.push({ step: 'bounds', value, note: `raised to minAllowed ${q(min)}` });
  } else if (max !== undefined && value > max) {
    value = max;
    steps.push({ step: 'bounds', value, note: `lowered to maxAllowed ${q(max)}` });
  } else if (min === undefined && max === undefined) {
    steps.push({ step: 'bounds', value, note: 'no minAllowed or maxAllowed configured' });
  } else {
    const within = [min === undefined ? '' : `≥ minAllowed ${q(min)}`, max === undefined ? '' : `≤ maxAllowed ${q(max)}`].filter(Boolean).join(' and ');
    steps.push({ step: 'bounds', value, note: `${q(value)} is ${within}: unchanged` });
  }
  const target = value;

  // 4–5. Only meaningful relative to an existing, non-zero request.
  const c = current.request;
  let upperCap: number | undefined; // the max-change ceiling, when the request grows (used by rounding)
  let kept = false;
  if (c === undefined || c === 0) {
    const why = c === undefined ? 'no current request' : 'the current request is 0';
    steps.push({ step: 'minChange', value, note: `skipped: ${why}, so there is no relative change to filter` });
    steps.push({ step: 'maxChange', value, note: `skipped: ${why}, so the first recommendation is not step-limited` });
  } else {
    // 4. Min-change (noise) filter. A current request outside the bounds is never kept by it.
    const outside = (min !== undefined && c < min) || (max !== undefined && c > max);
    const pct = (Math.abs(target - c) / c) * 100;
    if (target === c) {
      steps.push({ step: 'minChange', value, note: `equals the current request ${q(c)}: no change` });
      kept = true;
    } else if (outside) {
      steps.push({ step: 'minChange', value, note: `the current request ${q(c)} is outside the bounds, so the noise filter does not keep it` });
    } else if (changeBelowPercent(target, c, policy.minChangePercent)) {
      value = c;
      kept = true;
      steps.push({
        step: 'minChange',
        value,
        note: `a change of ${formatPercent(pct)} from the current request ${q(c)} is below minChangePercent ${policy.minChangePercent}%: keep the current request (no change)`,
      });
    } else {
      steps.push({
        step: 'minChange',
        value,
        note: `a change of ${formatPercent(pct)} from the current request ${q(c)} reaches minChangePercent ${policy.minChangePercent}%`,
      });
    }

    // 5. Max-change step clamp from the current request.
    const m = policy.maxChangePercent;
    if (kept) {
      steps.push({ step: 'maxChange', value, note: 'no change, nothing to clamp' });
    } else {
      const upper = scaleByPercent(c, m, 1, 'floor');
      const lower = scaleByPercent(c, m, -1, 'ceil');
      if (value > upper) {
        upperCap = upper;
        value = upper > c ? upper : c + 1;
        steps.push({
          step: 'maxChange',
          value,
          note:
            upper > c
              ? `clamped by maxChangePercent ${m}%: one cycle raises ${q(c)} by at most ${m}%, to ${q(value)}`
              : `clamped by maxChangePercent ${m}%: ${m}% of ${q(c)} is under one ${unit}, so the smallest step is taken, to ${q(value)}`,
        });
      } else if (value < lower) {
        value = lower < c ? lower : c - 1;
        steps.push({
          step: 'maxChange',
          value,
          note:
            lower < c
              ? `clamped by maxChangePercent ${m}%: one cycle lowers ${q(c)} by at most ${m}%, to ${q(value)}`
              : `clamped by maxChangePercent ${m}%: ${m}% of ${q(c)} is under one ${unit}, so the smallest step is taken, to ${q(value)}`,
        });
      } else {
        if (value > c) upperCap = upper;
        steps.push({ step: 'maxChange', value, note: `within maxChangePercent ${m}% of the current request ${q(c)} (${q(lower)} to ${q(upper)})` });
      }
    }
  }

  // 6. Rounding up to the grid (1m CPU, 1Mi memory), never below one grid unit.
  const grid = GRID_LABEL[resource];
  const v = value;
  if (c !== undefined && v === c) {
    steps.push({ step: 'rounding', value, note: kept ? `the current request ${q(c)} is kept exactly as it is` : `equals the current request ${q(c)}, kept as it is` });
  } else {
    let r = ceilGrid(v);
    let note = r === v ? `already on the ${grid} grid` : `rounded up to the ${grid} grid: ${q(r)}`;
    if (max !== undefined && v <= max && r > max && floorGrid(max) >= g && floorGrid(max) >= (min ?? 0)) {
      r = floorGrid(max);
      note = `rounded down to the ${grid} grid, ${q(r)}, to stay within maxAllowed ${q(max)}`;
    } else if (c !== undefined && upperCap !== undefined && v <= upperCap && r > upperCap && floorGrid(upperCap) > c) {
      r = floorGrid(upperCap);
      note = `rounded down to the ${grid} grid, ${q(r)}, to stay within the maxChangePercent step`;
    }
    if (r < g) {
      r = g;
      note = `raised to ${grid}, the smallest request attune sets`;
    }
    if (c !== undefined && c > 0 && v < c && r > c) {
      r = c;
      note = `rounding up to the ${grid} grid would raise the request above the current ${q(c)} while the target is lower: keep the current request`;
    }
    value = r;
    steps.push({ step: 'rounding', value, note });
  }

  // Limits, per controlledValues. A limit that does not exist is never added.
  const recommendation: Recommendation = { request: value };
  const lim = current.limit;
  if (lim !== undefined) {
    if (policy.controlledValues === 'RequestsAndLimits' && c !== undefined && c > 0) {
      if (value === c) {
        recommendation.limit = lim;
        steps.push({ step: 'limit', value: lim, note: `RequestsAndLimits: the request is unchanged, so the limit ${q(lim)} is too` });
      } else {
        const scaled = ceilGrid(mulDiv(lim, BigInt(value), BigInt(c), 'ceil'));
        const limit = Math.max(scaled, value);
        recommendation.limit = limit;
        steps.push({
          step: 'limit',
          value: limit,
          note: `RequestsAndLimits: the limit keeps its ratio to the request: ${q(lim)} × ${q(value)} / ${q(c)} = ${q(limit)} (rounded up to the ${grid} grid)`,
        });
      }
    } else {
      const why =
        policy.controlledValues === 'RequestsOnly'
          ? 'RequestsOnly never changes limits'
          : `RequestsAndLimits has no current request to keep a ratio to`;
      if (value > lim) {
        value = lim;
        recommendation.request = lim;
        steps.push({ step: 'limitCap', value, note: `capped at the current limit ${q(lim)}: a request cannot exceed its limit and ${why}` });
      }
      recommendation.limit = lim;
      steps.push({ step: 'limit', value: lim, note: `${why}: the limit stays ${q(lim)}` });
    }
  }

  const changed = recommendation.request !== c || recommendation.limit !== lim;
  return {
    ok: true,
    resource,
    current: { ...current },
    recommendation,
    changed,
    explanation: steps,
    confidence: confidence(coverage),
    dataPoints,
    spanMs,
    policy: { ...policy },
  };
}
