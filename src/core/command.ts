import type { Platform } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';
import type { MentionEntity, RecipientRef } from '../recognition/grammar/give-grammar.ts';
import type { Clock } from './clock.ts';

/** The platform's way of turning the people a command names into members. */
export interface MentionResolver {
  /**
   * Resolves each reference to the members it names (a user group names several).
   * `unknown` lists, in words, the references that name nobody; `outsiders` names the
   * people who are from outside the organization (never members), where a platform has any.
   */
  resolve(organizationId: number, refs: readonly RecipientRef[]): Promise<ResolvedMentions>;
}

export interface ResolvedMentions {
  readonly members: Member[];
  readonly unknown: string[];
  readonly outsiders?: string[];
  /**
   * The ids of members who came in only through a group the command named (`@design`),
   * not by their own name: a giver among them is left out rather than refused.
   */
  readonly throughGroupsOnly?: readonly number[];
}

/** A kudos command as every adapter hands it to the router. */
export interface Command {
  readonly actor: Member;
  /** What followed the command name, e.g. `@ana 10 for the launch #teamwork`. */
  readonly text: string;
  /** Teams mention entities; empty elsewhere. */
  readonly mentions: readonly MentionEntity[];
  /** Unique per delivery: a redelivered command changes nothing twice. */
  readonly idempotencyKey: string;
  readonly platform: Platform;
  /**
   * Where the command came from on its platform: the Slack workspace (team id), the Teams
   * tenant, or `local` for the local console.
   */
  readonly tenantId: string;
  readonly channel: string | null;
  /** How people invoke the command here, for usage lines: `/kudos`, `@Plaudit`. */
  readonly commandName: string;
  readonly mentionResolver: MentionResolver;
  readonly clock: Clock;
}
