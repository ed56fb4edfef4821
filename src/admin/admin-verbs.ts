import type { AdminVerb } from './admin-commands.ts';

/**
 * Every `/kudos admin` verb, in the order help lists them. Each feature adds its own
 * here: `allow-give`, `allow-receive`, `deny`, `settings`, `roles`, `adjust`, `reverse`,
 * `groups`, `audit`.
 */
export const ADMIN_VERBS: readonly AdminVerb[] = [];
