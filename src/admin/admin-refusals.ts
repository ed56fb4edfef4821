import { type Refusal, refuse } from '../core/result.ts';

/** Every expected refusal of the admin features, each with a sentence for a person. */
export type AdminRefusalCode =
  | 'usage'
  | 'not_admin'
  | 'not_hr'
  | 'last_admin'
  | 'unknown_member'
  /** A mention of someone from outside the organization (Slack Connect, another tenant). */
  | 'outsider'
  | 'unknown_role'
  | 'not_eligible'
  | 'invalid_setting'
  | 'invalid_rule'
  | 'invalid_adjustment'
  | 'not_enough_points'
  | 'unknown_recognition'
  | 'already_reversed'
  | 'not_reversible'
  | 'unknown_group'
  | 'group_taken'
  | 'invalid_group'
  | 'mirrored_group'
  | 'unknown_token'
  | 'invalid_token'
  | 'idempotency_conflict';

export type AdminRefusal = Refusal<AdminRefusalCode>;

export const adminRefusal = (code: AdminRefusalCode, message: string): AdminRefusal =>
  refuse(code, message);
