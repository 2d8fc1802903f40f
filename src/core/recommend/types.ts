// Types of the estimator chain (pure core; see docs/recommendations.md).
//
// Units: every CPU value is an integer number of millicores, every memory value an integer number
// of bytes. Parsing Kubernetes quantities into these units is the caller's job (src/core/quantity.ts).

export type Resource = 'cpu' | 'memory';

export type ControlledValues = 'RequestsOnly' | 'RequestsAndLimits';

/** The per-resource part of a ResizePolicy spec, already parsed into integer units. */
export interface ResourcePolicy {
  /** 0 < percentile ≤ 100, e.g. 95 or 99.9. */
  percentile: number;
  /** Headroom added on top of the percentile, in percent (≥ 0). */
  overheadPercent: number;
  /** Lower bound of the request (millicores / bytes). */
  minAllowed?: number;
  /** Upper bound of the request (millicores / bytes). */
  maxAllowed?: number;
  /** One resize cycle moves the request at most this far from the current request, in percent (1..100). */
  maxChangePercent: number;
  /** Changes smaller than this (percent of the current request, 0..100) are noise: keep the current request. */
  minChangePercent: number;
  controlledValues: ControlledValues;
}

/** Below either figure no recommendation is made. */
export interface MinimumData {
  samples: number;
  spanMs: number;
}

export interface CurrentResources {
  request?: number;
  limit?: number;
}

/**
 * Input for one container and one resource. Exactly one of `samples` (usage samples, e.g. every
 * value of a query_range over the window, pooled over the workload's pods) or `percentileValue`
 * (a percentile Prometheus already computed over the window) is given.
 */
export interface EstimateInput {
  resource: Resource;
  samples?: readonly number[];
  percentileValue?: number;
  /** Number of samples behind `percentileValue`. With `samples` it defaults to (and must equal) samples.length. */
  dataPoints?: number;
  /** Time between the oldest and the newest sample. */
  spanMs: number;
  /** Query resolution, if known: sets the expected number of points for the confidence (windowMs / stepMs). */
  stepMs?: number;
  current: CurrentResources;
  policy: ResourcePolicy;
  minimumData: MinimumData;
  /** The history window that was asked for (spec.metrics.historyWindow). */
  windowMs: number;
}

/** The per-resource input of recommendContainer: EstimateInput without the resource. */
export type ResourceInput = Omit<EstimateInput, 'resource'>;

export type StepName =
  | 'percentile'
  | 'overhead'
  | 'bounds'
  | 'minChange'
  | 'maxChange'
  | 'rounding'
  | 'limitCap'
  | 'limit';

/** One explanation entry: the value after the step (integer, millicores or bytes) and why. */
export interface Step {
  step: StepName;
  value: number;
  note: string;
}

export interface Recommendation {
  request: number;
  /** Present exactly when the container has a limit now (a limit is never added). */
  limit?: number;
}

export interface EstimateOk {
  ok: true;
  resource: Resource;
  current: CurrentResources;
  recommendation: Recommendation;
  /** Whether the recommendation differs from the current request or limit. */
  changed: boolean;
  explanation: Step[];
  /** 0..1, two decimals, rounded down; see confidence.ts. */
  confidence: number;
  dataPoints: number;
  spanMs: number;
  /** The policy the chain ran with (for summaries and status). */
  policy: ResourcePolicy;
}

export interface InsufficientData {
  ok: false;
  reason: 'InsufficientData';
  resource: Resource;
  /** e.g. "need 100 samples over 24h, have 37 over 5h12m: 63 samples and 18h48m more" */
  message: string;
  need: MinimumData;
  have: MinimumData;
  missing: MinimumData;
  dataPoints: number;
  spanMs: number;
}

export interface InvalidInput {
  ok: false;
  reason: 'InvalidInput';
  resource?: Resource;
  /** The offending input field, e.g. "samples[3]" or "policy.percentile". */
  field: string;
  message: string;
}

export type EstimateResult = EstimateOk | InsufficientData | InvalidInput;

export interface ContainerInput {
  cpu: ResourceInput;
  memory: ResourceInput;
}

export interface ContainerRecommendation {
  cpu: EstimateResult;
  memory: EstimateResult;
  /** True when at least one resource has a recommendation that differs from the current value. */
  changed: boolean;
}
