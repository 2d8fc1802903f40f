// ResizePolicy spec schemas: the single source of the CRD's spec schema, its defaults and its CEL
// rules, and of runtime validation (parseResizePolicy). Field names follow the canary contract
// (shared/seeds/004); descriptions are what `kubectl explain rsp.spec` shows.
import { z } from 'zod';
import { compareQuantities, parseQuantity } from '../core/quantity.ts';
import { withRules } from './cel.ts';
import { TARGET_API_VERSION, TARGET_KINDS, WELL_KNOWN_SIDECARS } from './constants.ts';
import { metricsSchema } from './metrics.ts';
import { containerName, duration, labelSelector, memoryQuantity, objectName, quantity } from './primitives.ts';

/** Default headroom over the chosen percentile, in percent: the same safety margin as the VPA recommender (0.15). */
export const DEFAULT_OVERHEAD_PERCENT = 15;

export const targetRefSchema = z
  .object({
    apiVersion: z.enum([TARGET_API_VERSION]).default(TARGET_API_VERSION).describe(`API version of the workload; always ${TARGET_API_VERSION}.`),
    kind: z.enum(TARGET_KINDS).describe(`Workload kind: ${TARGET_KINDS.join(', ')}.`),
    name: objectName('Name of the workload in the policy\'s namespace.'),
  })
  .describe('The one workload this policy sizes, in the policy\'s namespace. Exactly one of targetRef and selector is set.');

const containerList = (description: string) =>
  z
    .array(containerName('A container name.'))
    .min(1)
    .max(32)
    .refine((l) => new Set(l).size === l.length, { message: 'must not contain duplicates' })
    .meta({ 'x-kubernetes-list-type': 'set' })
    .describe(description);

export const containersSchema = withRules(
  z.object({
    include: containerList(
      'Only these containers are sized (minus exclude). Absent: every container except exclude and the well-known sidecars. ' +
        'List a sidecar here to have it sized.',
    ).optional(),
    exclude: containerList('Containers never sized, whatever include says.').optional(),
  }),
  [
    {
      rule: '!has(self.include) || !has(self.exclude) || !self.include.exists(c, c in self.exclude)',
      message: 'a container cannot be in both spec.containers.include and spec.containers.exclude',
      fieldPath: '.exclude',
      check: (c) => !c.include || !c.exclude || !c.include.some((n) => c.exclude!.includes(n)),
    },
  ],
).describe(
  'Which containers of the targeted pods are sized (init containers never are). Well-known sidecars are excluded unless named in include: ' +
    `${WELL_KNOWN_SIDECARS.join(', ')}.`,
);

const CONTROLLED_VALUES = ['RequestsOnly', 'RequestsAndLimits'] as const;

/** Per-resource recommendation settings; cpu and memory differ only in defaults and quantity rules. */
function resourcePolicySchema(resource: 'cpu' | 'memory', defaults: { percentile: number; maxChangePercent: number }) {
  const field = `spec.${resource}`;
  const bound = (name: string, what: string) =>
    resource === 'memory' ? memoryQuantity(`${field}.${name}`, what) : quantity(what);
  const unit = resource === 'cpu' ? 'CPU (for example 100m or 2)' : 'memory (for example 128Mi or 2Gi)';
  return withRules(
    z.object({
      percentile: z
        .number()
        .gt(0)
        .lte(100)
        .default(defaults.percentile)
        .describe(`Usage percentile over metrics.historyWindow that the recommendation starts from (0 < p ≤ 100). Default ${defaults.percentile}.`),
      overhead: z
        .number()
        .min(0)
        .max(1000)
        .default(DEFAULT_OVERHEAD_PERCENT)
        .describe(`Headroom added on top of the percentile, in percent (0–1000). Default ${DEFAULT_OVERHEAD_PERCENT}.`),
      minAllowed: bound('minAllowed', `Lowest request attune will recommend for ${unit}.`).optional(),
      maxAllowed: bound('maxAllowed', `Highest request attune will recommend for ${unit}.`).optional(),
      maxChangePercent: z
        .int()
        .min(1)
        .max(100)
        .default(defaults.maxChangePercent)
        .describe(`Largest change of a request in one resize cycle, in percent of the current value (1–100). Default ${defaults.maxChangePercent}.`),
      minChangePercent: z
        .int()
        .min(0)
        .max(100)
        .default(10)
        .describe('Noise filter: recommendations closer than this percentage to the current request are not applied (0–100, ≤ maxChangePercent). Default 10.'),
      controlledValues: z
        .enum(CONTROLLED_VALUES)
        .default('RequestsAndLimits')
        .describe(
          'RequestsOnly changes requests only. RequestsAndLimits (default) also scales an existing limit so it keeps its ratio to the request; ' +
            'a limit that does not exist is never added.',
        ),
    }),
    [
      {
        rule: '!has(self.minAllowed) || !has(self.maxAllowed) || !isQuantity(self.minAllowed) || !isQuantity(self.maxAllowed) || !quantity(self.maxAllowed).isLessThan(quantity(self.minAllowed))',
        message: `${field}.maxAllowed must not be less than ${field}.minAllowed`,
        fieldPath: '.maxAllowed',
        check: (p) => {
          const min = parseQuantity(p.minAllowed);
          const max = parseQuantity(p.maxAllowed);
          return !min || !max || compareQuantities(max, min) >= 0;
        },
      },
      {
        // has() guards: the apiserver checks the `default: {}` of spec.cpu/memory against this rule
        // before nested defaults fill it in. Stored objects always have both fields.
        rule: '!has(self.minChangePercent) || !has(self.maxChangePercent) || self.minChangePercent <= self.maxChangePercent',
        message: `${field}.minChangePercent must not exceed ${field}.maxChangePercent`,
        fieldPath: '.minChangePercent',
        check: (p) => p.minChangePercent <= p.maxChangePercent,
      },
    ],
  )
    .prefault({})
    .describe(`How ${resource} requests (and limits) are recommended and changed.`);
}

export const cpuPolicySchema = resourcePolicySchema('cpu', { percentile: 95, maxChangePercent: 50 });
export const memoryPolicySchema = resourcePolicySchema('memory', { percentile: 99, maxChangePercent: 30 });

export const UPDATE_STRATEGY_TYPES = ['Recommend', 'Canary', 'Auto'] as const;

export const updateStrategySchema = z
  .object({
    type: z
      .enum(UPDATE_STRATEGY_TYPES)
      .default('Recommend')
      .describe(
        'Recommend (default): compute and publish recommendations only; switching to it stops all resizing and leaves pods as they are. ' +
          'Canary: resize canary.percentage of eligible pods first, observe, then promote. Auto: resize every eligible pod.',
      ),
    canary: z
      .object({
        percentage: z
          .int()
          .min(1)
          .max(100)
          .default(10)
          .describe('Percentage of eligible pods resized in the first wave: ceil(percentage × eligible / 100), at least one pod (1–100). Default 10.'),
        observationPeriod: duration('How long canary pods are watched for OOMKills, restarts and NotReady before promotion. Default 30m.').default('30m'),
        autoPromote: z.boolean().default(false).describe('Promote to the full fleet after an observation period without reverts. Default false.'),
      })
      .prefault({})
      .describe('Canary settings, used when type is Canary.'),
    cooldown: duration('Minimum time between successive resize cycles. Default 2h.').default('2h'),
    autoRevert: z.boolean().default(true).describe('Restore a pod\'s original resources when it violates safety (OOMKill, restarts, NotReady). Default true.'),
    restartThreshold: z.int().min(1).max(1000).default(1).describe('Container restarts during observation that count as a violation (≥ 1). Default 1.'),
    notReadyGrace: duration('How long a resized pod may stay NotReady before that counts as a violation. Default 2m.').default('2m'),
  })
  .prefault({})
  .describe('Whether and how recommendations are applied to running pods.');

export const ON_METRIC_UNAVAILABLE = ['revert', 'pause'] as const;

export const resizePolicySpecSchema = withRules(
  z.object({
    targetRef: targetRefSchema.optional(),
    selector: labelSelector('spec.selector', 'Label selector choosing several workloads in the policy\'s namespace ({} selects all). Exactly one of targetRef and selector is set.').optional(),
    containers: containersSchema.optional(),
    cpu: cpuPolicySchema,
    memory: memoryPolicySchema,
    metrics: metricsSchema,
    updateStrategy: updateStrategySchema,
    onMetricUnavailable: z
      .enum(ON_METRIC_UNAVAILABLE)
      .default('revert')
      .describe('What to do with canary pods when metrics become unavailable during observation: revert them (default) or pause and keep them.'),
  }),
  [
    {
      rule: 'has(self.targetRef) != has(self.selector)',
      message: 'exactly one of spec.targetRef and spec.selector must be set',
      check: (s) => (s.targetRef === undefined) !== (s.selector === undefined),
    },
  ],
).describe('Desired behaviour of the policy.');

export type ResizePolicySpec = z.output<typeof resizePolicySpecSchema>;
export type ResizePolicySpecInput = z.input<typeof resizePolicySpecSchema>;
export type ResourcePolicy = ResizePolicySpec['cpu'];
export type PrometheusSource = NonNullable<ResizePolicySpec['metrics']['prometheus']>;
export type UpdateStrategy = ResizePolicySpec['updateStrategy'];
export type UpdateStrategyType = (typeof UPDATE_STRATEGY_TYPES)[number];
