// Input validation for the estimator chain: everything numeric is checked here, so that the chain
// itself cannot throw and never computes with NaN, Infinity, negatives or fractions where integers
// are required. Works on `unknown` so objects written with an older schema are reported, not crashed on.
import type { EstimateInput, InvalidInput, Resource } from './types.ts';

type Rec = Record<string, unknown>;

const isRecord = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const show = (x: unknown): string => (typeof x === 'number' ? String(x) : x === undefined ? 'nothing' : JSON.stringify(x) ?? typeof x);

/** The first problem with the input, or undefined when the chain can run on it. */
export function validateInput(input: unknown): InvalidInput | undefined {
  if (!isRecord(input)) return bad(undefined, 'input', `the estimator input must be an object, got ${show(input)}`);
  const r = input.resource;
  if (r !== 'cpu' && r !== 'memory') return bad(undefined, 'resource', `resource must be "cpu" or "memory", got ${show(r)}`);
  const unit = r === 'cpu' ? 'millicores' : 'bytes';
  const fail = (field: string, message: string): InvalidInput => bad(r, field, message);

  const { samples, percentileValue, dataPoints } = input;
  if (samples !== undefined && percentileValue !== undefined) return fail('samples', 'give either samples or percentileValue, not both');
  if (samples === undefined && percentileValue === undefined) return fail('samples', 'no usage data: give samples or percentileValue');
  if (samples !== undefined) {
    if (!Array.isArray(samples)) return fail('samples', `samples must be an array of numbers, got ${show(samples)}`);
    for (let i = 0; i < samples.length; i++) {
      const s: unknown = samples[i];
      if (!isFiniteNumber(s) || s < 0 || s > Number.MAX_SAFE_INTEGER) {
        return fail(`samples[${i}]`, `usage sample ${i} is ${show(s)}: samples must be finite numbers of ${unit}, ≥ 0`);
      }
    }
    if (dataPoints !== undefined && dataPoints !== samples.length) {
      return fail('dataPoints', `dataPoints ${show(dataPoints)} does not match the ${samples.length} samples given`);
    }
  } else {
    if (!isFiniteNumber(percentileValue) || percentileValue < 0 || percentileValue > Number.MAX_SAFE_INTEGER) {
      return fail('percentileValue', `percentileValue is ${show(percentileValue)}: it must be a finite number of ${unit}, ≥ 0`);
    }
    if (!isCount(dataPoints)) return fail('dataPoints', `dataPoints must be a whole number ≥ 0 with percentileValue, got ${show(dataPoints)}`);
  }
  if (!isFiniteNumber(input.spanMs) || input.spanMs < 0) return fail('spanMs', `spanMs must be a finite number ≥ 0, got ${show(input.spanMs)}`);
  if (input.stepMs !== undefined && (!isFiniteNumber(input.stepMs) || input.stepMs <= 0)) {
    return fail('stepMs', `stepMs must be a finite number > 0, got ${show(input.stepMs)}`);
  }
  if (!isFiniteNumber(input.windowMs) || input.windowMs <= 0) return fail('windowMs', `windowMs must be a finite number > 0, got ${show(input.windowMs)}`);

  const md = input.minimumData;
  if (!isRecord(md)) return fail('minimumData', `minimumData must be an object, got ${show(md)}`);
  if (!isCount(md.samples)) return fail('minimumData.samples', `minimumData.samples must be a whole number ≥ 0, got ${show(md.samples)}`);
  if (!isFiniteNumber(md.spanMs) || md.spanMs < 0) return fail('minimumData.spanMs', `minimumData.spanMs must be a finite number ≥ 0, got ${show(md.spanMs)}`);

  const cur = input.current;
  if (!isRecord(cur)) return fail('current', `current must be an object (empty when the container has no request), got ${show(cur)}`);
  for (const k of ['request', 'limit'] as const) {
    if (cur[k] !== undefined && !isCount(cur[k])) return fail(`current.${k}`, `current.${k} must be a whole number of ${unit} ≥ 0, got ${show(cur[k])}`);
  }
  if (isCount(cur.request) && isCount(cur.limit) && cur.limit < cur.request) {
    return fail('current.limit', `current.limit ${cur.limit} is below current.request ${cur.request}`);
  }

  const p = input.policy;
  if (!isRecord(p)) return fail('policy', `policy must be an object, got ${show(p)}`);
  if (!isFiniteNumber(p.percentile) || p.percentile <= 0 || p.percentile > 100) {
    return fail('policy.percentile', `policy.percentile must be in (0, 100], got ${show(p.percentile)}`);
  }
  if (!isFiniteNumber(p.overheadPercent) || p.overheadPercent < 0 || p.overheadPercent > 1e6) {
    return fail('policy.overheadPercent', `policy.overheadPercent must be a number from 0 to 1000000, got ${show(p.overheadPercent)}`);
  }
  for (const k of ['minAllowed', 'maxAllowed'] as const) {
    if (p[k] !== undefined && !isCount(p[k])) return fail(`policy.${k}`, `policy.${k} must be a whole number of ${unit} ≥ 0, got ${show(p[k])}`);
  }
  if (isCount(p.minAllowed) && isCount(p.maxAllowed) && p.minAllowed > p.maxAllowed) {
    return fail('policy.minAllowed', `policy.minAllowed ${p.minAllowed} is above policy.maxAllowed ${p.maxAllowed}`);
  }
  if (!isFiniteNumber(p.maxChangePercent) || p.maxChangePercent < 1 || p.maxChangePercent > 100) {
    return fail('policy.maxChangePercent', `policy.maxChangePercent must be in [1, 100], got ${show(p.maxChangePercent)}`);
  }
  if (!isFiniteNumber(p.minChangePercent) || p.minChangePercent < 0 || p.minChangePercent > 100) {
    return fail('policy.minChangePercent', `policy.minChangePercent must be in [0, 100], got ${show(p.minChangePercent)}`);
  }
  if (p.controlledValues !== 'RequestsOnly' && p.controlledValues !== 'RequestsAndLimits') {
    return fail('policy.controlledValues', `policy.controlledValues must be "RequestsOnly" or "RequestsAndLimits", got ${show(p.controlledValues)}`);
  }
  return undefined;
}

function bad(resource: Resource | undefined, field: string, message: string): InvalidInput {
  return resource === undefined
    ? { ok: false, reason: 'InvalidInput', field, message }
    : { ok: false, reason: 'InvalidInput', resource, field, message };
}

/** Type guard form, for callers that want the narrowed input. */
export function isValidInput(input: unknown): input is EstimateInput {
  return validateInput(input) === undefined;
}
