// Names of the attune API that code, CRD, plugin and docs share. Change them here only.

export const GROUP = 'attune.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ResizePolicy';
export const LIST_KIND = 'ResizePolicyList';
export const PLURAL = 'resizepolicies';
export const SINGULAR = 'resizepolicy';
export const SHORT_NAMES: readonly string[] = ['rsp'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Workload kinds a policy can target (all served by apps/v1). */
export const TARGET_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export const TARGET_API_VERSION = 'apps/v1';

/**
 * Containers injected by meshes, proxies and secret agents. attune leaves them alone unless a
 * policy names them in spec.containers.include: their owners size them, and right-sizing a proxy
 * from its own idle usage starves it under load.
 */
export const WELL_KNOWN_SIDECARS: readonly string[] = [
  'istio-proxy',
  'linkerd-proxy',
  'envoy',
  'envoy-sidecar',
  'cloud-sql-proxy',
  'cloudsql-proxy',
  'vault-agent',
  'consul-dataplane',
  'kuma-sidecar',
  'daprd',
];

/** Placeholders a custom PromQL template (spec.metrics.query) may use; each is replaced verbatim. */
export const QUERY_PLACEHOLDERS = {
  /** The policy's (and workload's) namespace. */
  namespace: '{{namespace}}',
  /** The workload's name (e.g. the Deployment name). */
  workload: '{{workload}}',
  /** The workload's kind (Deployment, StatefulSet, DaemonSet, ReplicaSet). */
  kind: '{{kind}}',
  /** spec.metrics.step, for rate() windows ("5m"). */
  step: '{{step}}',
} as const;

/** Annotations attune writes on the objects it changes (design: record changes on the object changed). */
export const Annotation = {
  /** On a pod: JSON {container: {requests, limits}} of its resources before the current cycle changed them. */
  originalResources: `${GROUP}/original-resources`,
  /** On a pod: id of the resize cycle that last changed it. */
  cycle: `${GROUP}/cycle`,
  /** On a pod: "namespace/name" of the ResizePolicy that last changed it. */
  policy: `${GROUP}/policy`,
} as const;

/** metav1.Condition types in status.conditions. */
export const ConditionType = {
  /** True when recommendations for every target are published and current. */
  Ready: 'Ready',
  /** True when the metrics source answered the last queries with usable data. */
  MetricsAvailable: 'MetricsAvailable',
  /** True when the spec is valid for the apiserver but not for the controller (see reasons). */
  InvalidSpec: 'InvalidSpec',
  /**
   * Where the canary machine stands (Canary and Auto modes): True while it may act (the reason
   * names the step: Observing, RollingOut, PromotionBlocked, …), False when it holds (metrics
   * unavailable) or is off (Recommend mode). The message is the decision's own explanation.
   */
  Resizing: 'Resizing',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** Reasons for the Ready condition. */
export const ReadyReason = {
  RecommendationsPublished: 'RecommendationsPublished',
  TargetNotFound: 'TargetNotFound',
  NoMatchingWorkloads: 'NoMatchingWorkloads',
  InsufficientData: 'InsufficientData',
  MetricsUnavailable: 'MetricsUnavailable',
  InvalidSpec: 'InvalidSpec',
} as const;

/** Reasons for the MetricsAvailable condition. */
export const MetricsReason = {
  QuerySucceeded: 'QuerySucceeded',
  NoMetricsSource: 'NoMetricsSource',
  PrometheusUnreachable: 'PrometheusUnreachable',
  QueryTimeout: 'QueryTimeout',
  QueryFailed: 'QueryFailed',
  InvalidResponse: 'InvalidResponse',
  Unauthorized: 'Unauthorized',
  /** A Secret or ConfigMap (or key) named in spec.metrics.prometheus does not exist (yet). */
  ReferenceNotFound: 'ReferenceNotFound',
  NoData: 'NoData',
} as const;

/** Reasons for the Resizing condition, one per outcome of the canary decision. */
export const ResizingReason = {
  RecommendMode: 'RecommendMode',
  MetricsUnavailable: 'MetricsUnavailable',
  Idle: 'Idle',
  Observing: 'Observing',
  Promoted: 'Promoted',
  RollingOut: 'RollingOut',
  PromotionBlocked: 'PromotionBlocked',
  AwaitingPromotion: 'AwaitingPromotion',
  NothingProven: 'NothingProven',
} as const;

/** Reasons for the InvalidSpec condition. */
export const InvalidSpecReason = {
  /** status False: the spec passed every runtime check. */
  SpecValid: 'SpecValid',
  /** status True: parseResizePolicy rejected the spec (a runtime-only rule, or an object stored under an older CRD); message lists the fields. */
  ValidationFailed: 'ValidationFailed',
} as const;

/** Values of status.canary.phase. */
export const CanaryPhase = { CanaryInProgress: 'CanaryInProgress', FullRollout: 'FullRollout' } as const;

/** Known values of status.resizeHistory[].result (the schema accepts any short string). */
export const ResizeResult = { Resized: 'Resized', Reverted: 'Reverted', Failed: 'Failed', Infeasible: 'Infeasible' } as const;

/** Known values of status.resizeHistory[].reason for reverts. */
export const RevertReason = { OOMKill: 'oomkill', Restart: 'restart', NotReady: 'notready', MetricUnavailable: 'metricunavailable' } as const;
