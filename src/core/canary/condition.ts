// The Resizing condition from a canary decision: users read in one place whether attune may act
// on pods now, which step the cycle is at, and why (the decision's own message).
import { ConditionType, ResizingReason } from '../../api/constants.ts';
import type { Condition } from '../../api/status.ts';
import { condition } from '../recommend-status.ts';
import type { CanaryOutcome, Plan } from './types.ts';

const REASON: Record<CanaryOutcome, string> = {
  idle: ResizingReason.Idle,
  observing: ResizingReason.Observing,
  promoted: ResizingReason.Promoted,
  'rolling-out': ResizingReason.RollingOut,
  blocked: ResizingReason.PromotionBlocked,
  'awaiting-promotion': ResizingReason.AwaitingPromotion,
  'nothing-proven': ResizingReason.NothingProven,
  held: ResizingReason.MetricsUnavailable,
};

/** The Resizing condition for `plan` (Recommend mode, a hold and every cycle state). */
export function resizingCondition(plan: Pick<Plan, 'mode' | 'outcome' | 'hold'>, previous: readonly Condition[] | undefined, generation: number, nowMs: number): Condition {
  if (plan.mode === 'Recommend') return condition(previous, ConditionType.Resizing, false, ResizingReason.RecommendMode, plan.outcome.message, generation, nowMs);
  if (plan.hold) return condition(previous, ConditionType.Resizing, false, ResizingReason.MetricsUnavailable, plan.outcome.message, generation, nowMs);
  return condition(previous, ConditionType.Resizing, true, REASON[plan.outcome.state], plan.outcome.message, generation, nowMs);
}
