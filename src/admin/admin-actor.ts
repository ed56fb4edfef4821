import type { Command } from '../core/command.ts';
import type { AuditVia, MemberRole } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';

/**
 * Whoever does an admin or HR action: a member in chat or the web console, or an API
 * token. Every service that changes the program takes one, checks its roles, and writes
 * it to the audit log.
 */
export interface AdminActor {
  readonly organizationId: number;
  /** The member acting; null for an API token. */
  readonly memberId: number | null;
  /** The API token acting; null for a member. */
  readonly tokenId: number | null;
  /** A member's roles, or the one role a token was made with. */
  readonly roles: readonly MemberRole[];
  readonly via: AuditVia;
  /** How to name the actor to people: a member's name, or `API token “ci”`. */
  readonly name: string;
}

/** A member acting in chat, the console or the local console, as an admin actor. */
export function memberActor(member: Member, via: AuditVia): AdminActor {
  return {
    organizationId: member.organizationId,
    memberId: member.id,
    tokenId: null,
    roles: member.roles,
    via,
    name: member.displayName,
  };
}

/** The member behind a chat or console command, as an admin actor. */
export function actorOfCommand(command: Command): AdminActor {
  return memberActor(command.actor, command.platform);
}

/**
 * The actor of changes nobody in the organization made at that moment: a mirror following
 * its platform (`Slack`), or Plaudit itself naming an admin (`Plaudit`).
 */
export function systemActor(organizationId: number, name: string): AdminActor {
  return { organizationId, memberId: null, tokenId: null, roles: [], via: 'system', name };
}
