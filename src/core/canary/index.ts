// The pure canary core (issue 5): pod views, eligibility, selection, precheck, safety verdicts,
// cycle ids and the canary state machine. The shell (src/controller) does all I/O.
export * from './types.ts';
export { podViewFrom, qosClassOf, zoneOf, podAllocatedRequests, nodeViewFrom, limitRangeItemsFrom, quotaViewsFrom, timeMs, ZONE_LABEL, type PodLike } from './pod-view.ts';
export { eligibility, containerActuated, generationObserved, type Eligibility, type EligibilityReason } from './eligibility.ts';
export { selectCanary, canaryCount, stableHash, type SelectionInput } from './selection.ts';
export { precheck, quotaApplies, type PrecheckInput, type PrecheckResult, type QuotaDelta, type QuotaKey } from './precheck.ts';
export { violation, appliedState, notReadyDeadline, nextSafetyCheck, type SafetyOptions, type AppliedState } from './safety.ts';
export { cycleId, parseCycleId, cycleStartMs, uidTag, type CycleIdParts } from './cycle.ts';
export { decideCanary, settle, appendHistory, resizePatch, VIOLATED, REVERT_FAILED } from './plan.ts';
export { sameQuantity, sameResources, describeChange, describePodChange, TOLERANCE } from './resources.ts';
export { dropActions, limitResizes, type Dropped } from './plan-edit.ts';
export { resizingCondition } from './condition.ts';
