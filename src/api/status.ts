// ResizePolicy status schemas, written by the controller only. Deliberately permissive where the
// controller's vocabulary may still grow (step names, results, reasons are free strings with
// known values in constants.ts), strict where other tools parse (timestamps, conditions, phase).
import { z } from 'zod';
import { withRules } from './cel.ts';
import { CanaryPhase } from './constants.ts';
import { boundedMap, timestamp } from './primitives.ts';

/** Max entries kept in status.resizeHistory (oldest dropped first). */
export const RESIZE_HISTORY_LIMIT = 100;

const resourceList = (description: string) =>
  boundedMap(z.string().min(1).max(253), z.string().max(64), 16, `${description} Resource name → quantity string.`);

const resources = (description: string) =>
  z
    .object({
      requests: resourceList('Requests.').optional(),
      limits: resourceList('Limits.').optional(),
    })
    .describe(description);

/** metav1.Condition, with the bounds upstream uses. */
export const conditionSchema = z
  .object({
    type: z.string().min(1).max(316).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/).describe('Condition type: Ready, MetricsAvailable or InvalidSpec.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the condition was computed from.'),
    lastTransitionTime: timestamp('When the status last changed.'),
    reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).describe('CamelCase reason (see docs/api.md).'),
    message: z.string().max(32768).describe('Human-readable details.'),
  })
  .describe('A metav1.Condition.');

export const explanationStepSchema = z
  .object({
    resource: z.enum(['cpu', 'memory']).optional().describe('Resource the step applies to.'),
    step: z.string().min(1).max(64).describe('Estimator step, e.g. percentile, overhead, bounds, minChange, maxChange, rounding.'),
    value: z.string().max(256).describe('Value after the step, e.g. 312m or 1.2Gi.'),
    note: z.string().max(1024).optional().describe('Why the step changed (or kept) the value.'),
  })
  .describe('One step of how a recommendation was computed.');

export const containerStatusSchema = z
  .object({
    name: z.string().min(1).max(63).describe('Container name.'),
    current: resources('Resources the container runs with now.').optional(),
    recommended: resources('Recommended resources; absent while there is not enough data.').optional(),
    explanation: z.array(explanationStepSchema).max(64).optional().describe('How the recommendation was computed, step by step.'),
    confidence: z.number().min(0).max(1).optional().describe('0–1, from the span and count of the data.'),
    dataPoints: z.int().min(0).optional().describe('Samples the recommendation is based on.'),
    lastUpdated: timestamp('When the recommendation was last computed.').optional(),
    stale: z.boolean().optional().describe('True when the recommendation could not be refreshed for too long.'),
    message: z.string().max(1024).optional().describe('Why there is no (fresh) recommendation, e.g. how much data is still missing.'),
  })
  .describe('Per-container sizing.');

export const workloadStatusSchema = z
  .object({
    kind: z.string().min(1).max(63).describe('Workload kind.'),
    name: z.string().min(1).max(253).describe('Workload name.'),
    containers: z.array(containerStatusSchema).max(64).optional().describe('Containers attune sizes in this workload.'),
  })
  .describe('A workload the policy targets.');

export const canaryStatusSchema = withRules(
  z.object({
    phase: z.enum([CanaryPhase.CanaryInProgress, CanaryPhase.FullRollout]).optional().describe('CanaryInProgress, then FullRollout after promotion.'),
    pods: z.array(z.string().min(1).max(253)).max(5000).optional().describe('Names of the pods in the canary subset (at most 5000, the largest supported cluster size in nodes).'),
    podCount: z.int().min(0).optional().describe('Number of entries in pods (for the CANARY printer column; JSONPath cannot count).'),
    startTime: timestamp('When the current canary cycle started.').optional(),
    observationEnd: timestamp('When the observation period of the current cycle ends.').optional(),
  }),
  [
    {
      rule: '!has(self.podCount) || self.podCount == (has(self.pods) ? size(self.pods) : 0)',
      message: 'status.canary.podCount must equal the number of status.canary.pods',
      fieldPath: '.podCount',
      check: (c) => c.podCount === undefined || c.podCount === (c.pods?.length ?? 0),
    },
  ],
).describe('Canary rollout progress (Canary mode).');

export const resizeEventSchema = z
  .object({
    time: timestamp('When the resize or revert happened.'),
    pod: z.string().min(1).max(253).describe('Pod name.'),
    container: z.string().min(1).max(63).describe('Container name.'),
    from: resources('Resources before.').optional(),
    to: resources('Resources after.').optional(),
    result: z.string().min(1).max(64).describe('Resized, Reverted, Failed or Infeasible.'),
    reason: z.string().max(256).optional().describe('Why, e.g. oomkill, restart or notready for a revert.'),
    cycle: z.string().max(128).optional().describe('Id of the resize cycle.'),
    message: z.string().max(1024).optional().describe('Details.'),
  })
  .describe('One resize or revert of one container.');

export const resizePolicyStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('metadata.generation of the spec last acted on.'),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .optional()
      .describe('Ready, MetricsAvailable, InvalidSpec and Resizing.'),
    workloads: z.array(workloadStatusSchema).optional().describe('Current and recommended resources per targeted workload and container.'),
    canary: canaryStatusSchema.optional(),
    resizeHistory: z
      .array(resizeEventSchema)
      .max(RESIZE_HISTORY_LIMIT)
      .optional()
      .describe(`Most recent resizes and reverts, newest last, at most ${RESIZE_HISTORY_LIMIT}.`),
  })
  .describe('Observed state, written by the controller.');

export type ResizePolicyStatus = z.output<typeof resizePolicyStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type WorkloadStatus = z.output<typeof workloadStatusSchema>;
export type ContainerStatus = z.output<typeof containerStatusSchema>;
export type ExplanationStep = z.output<typeof explanationStepSchema>;
export type CanaryStatus = z.output<typeof canaryStatusSchema>;
export type ResizeEvent = z.output<typeof resizeEventSchema>;
