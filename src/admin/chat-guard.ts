import type { Command } from '../core/command.ts';
import { type Reply, refusalReply } from '../core/reply.ts';
import { type Attempt, requireRole } from './access.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminServices } from './admin-services.ts';

/**
 * The refusal a chat command gets when its author is not an admin (audited as refused
 * under the action tried), or undefined for an admin. Verbs whose services check the role
 * themselves call it only where they stop before reaching the service (a command that does
 * not parse, a read), so every non-admin attempt is refused and audited once.
 */
export async function refuseUnlessAdmin(
  services: AdminServices,
  command: Command,
  what: string,
  attempt: Attempt,
): Promise<Reply | undefined> {
  const denied = await requireRole(services.db, actorOfCommand(command), 'admin', what, attempt);
  return denied && refusalReply(denied.code, denied.message);
}
