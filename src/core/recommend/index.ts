// The recommendation core: the estimator chain for one container (docs/recommendations.md).
export { estimate } from './chain.ts';
export { recommendContainer, isStale } from './container.ts';
export { summarize } from './summary.ts';
export { confidence, expectedPoints, shortfall } from './confidence.ts';
export type { DataCoverage, Shortfall } from './confidence.ts';
export { percentileOf, ceilUnits } from './percentile.ts';
export { GRID, formatDuration, formatQuantity } from './explain.ts';
export { validateInput } from './validate.ts';
export type {
  ContainerInput,
  ContainerRecommendation,
  ControlledValues,
  CurrentResources,
  EstimateInput,
  EstimateOk,
  EstimateResult,
  InsufficientData,
  InvalidInput,
  MinimumData,
  Recommendation,
  Resource,
  ResourceInput,
  ResourcePolicy,
  Step,
  StepName,
} from './types.ts';
