import type { AdminVerb } from './admin-commands.ts';
import { AUDIT_VERB } from './audit-command.ts';
import { GROUPS_VERB } from './group-commands.ts';
import { LINK_VERB } from './link-commands.ts';
import { ADJUST_VERB, REVERSE_VERB } from './points-commands.ts';
import { ROLES_VERB } from './role-commands.ts';
import { ALLOW_GIVE_VERB, ALLOW_RECEIVE_VERB, DENY_VERB, RULES_VERB } from './rule-commands.ts';
import { SETTINGS_VERB } from './settings-command.ts';
import { TOKENS_VERB } from './token-commands.ts';

/**
 * Every `/kudos admin` verb, in the order help lists them. Each feature adds its own
 * here: `allow-give`, `allow-receive`, `deny`, `settings`, `roles`, `adjust`, `reverse`,
 * `groups`, `audit`, `tokens`, `link`.
 */
export const ADMIN_VERBS: readonly AdminVerb[] = [
  ALLOW_GIVE_VERB,
  ALLOW_RECEIVE_VERB,
  DENY_VERB,
  RULES_VERB,
  SETTINGS_VERB,
  ROLES_VERB,
  ADJUST_VERB,
  REVERSE_VERB,
  GROUPS_VERB,
  AUDIT_VERB,
  TOKENS_VERB,
  LINK_VERB,
];
