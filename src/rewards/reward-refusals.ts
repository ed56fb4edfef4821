import { type Refusal, refuse } from '../core/result.ts';

/** Every expected refusal of the rewards features, each with a sentence for a person. */
export type RewardRefusalCode =
  | 'invalid_item'
  | 'duplicate_item'
  | 'unknown_item'
  | 'ambiguous_item'
  | 'retired_item'
  | 'inactive_item'
  | 'out_of_stock'
  | 'not_enough_points'
  | 'member_left'
  | 'over_budget'
  | 'not_hr'
  | 'unknown_redemption'
  | 'already_resolved'
  | 'being_fulfilled'
  | 'not_yours'
  | 'not_expired'
  | 'invalid_setting'
  | 'webhook_unsigned'
  | 'idempotency_conflict';

export type RewardRefusal = Refusal<RewardRefusalCode>;

export const rewardRefusal = (code: RewardRefusalCode, message: string): RewardRefusal =>
  refuse(code, message);
