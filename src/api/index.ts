// The attune API (attune.dev/v1alpha1 ResizePolicy): names, schemas, types and the runtime validator.
export * from './constants.ts';
export { isContainerSelected, type ContainerSelection } from './containers.ts';
export {
  DEFAULT_OVERHEAD_PERCENT,
  ON_METRIC_UNAVAILABLE,
  UPDATE_STRATEGY_TYPES,
  resizePolicySpecSchema,
  type PrometheusSource,
  type ResizePolicySpec,
  type ResizePolicySpecInput,
  type ResourcePolicy,
  type UpdateStrategy,
  type UpdateStrategyType,
} from './spec.ts';
export {
  RESIZE_HISTORY_LIMIT,
  resizePolicyStatusSchema,
  type CanaryStatus,
  type Condition,
  type ContainerStatus,
  type ExplanationStep,
  type ResizeEvent,
  type ResizePolicyStatus,
  type WorkloadStatus,
} from './status.ts';
export { parseResizePolicy, parseResizePolicySpec, type ParseResult, type ResizePolicy, type ResizePolicyMetadata } from './resize-policy.ts';
export { buildCrd, renderCrdYaml, CRD_FILE } from './crd.ts';
