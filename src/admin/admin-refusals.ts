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
  | 'idempotency_conflict'
  /** Link codes: not one Plaudit made, used, expired, or this organization's own. */
  | 'unknown_link_code'
  | 'used_link_code'
  | 'expired_link_code'
  | 'same_organization'
  /** A workspace or tenant that cannot move: none here (local), or not in this organization. */
  | 'not_linkable'
  /** The organization a workspace would leave has points, which would be left behind. */
  | 'organization_has_points';

export type AdminRefusal = Refusal<AdminRefusalCode>;

export const adminRefusal = (code: AdminRefusalCode, message: string): AdminRefusal =>
  refuse(code, message);
