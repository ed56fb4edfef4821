import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { MemberRole } from '../db/tables.ts';
import { normalizeCommandText, parseNamesFirst } from '../recognition/grammar/give-grammar.ts';
import { listNames, outsidersSentence } from '../recognition/wording.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';
import { changeRole, isRole, listRoleHolders, type RoleChange } from './roles.ts';

type Change = Pick<RoleChange, 'role' | 'change'>;

/** `+admin -hr`: the changes asked, in order, or the sentence saying how to write them. */
export function parseRoleChanges(text: string): Change[] | string {
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return 'Say which roles change: +admin to grant, -hr to revoke.';
  const changes: Change[] = [];
  for (const word of words) {
    const match = /^([+\-\u2212\u2013])([a-z]+)$/iu.exec(word);
    const role = match?.[2]?.toLowerCase() ?? '';
    if (!match || !isRole(role) || role === 'member') {
      return `I do not know “${word}”; the roles are admin and hr: +admin to grant, -hr to revoke.`;
    }
    changes.push({ role: role as MemberRole, change: match[1] === '+' ? 'grant' : 'revoke' });
  }
  return changes;
}

async function roles(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const text = normalizeCommandText(args);
  if (text.length === 0) return listRoles(services, command);
  const usage = `${command.commandName} admin roles @ana +admin -hr`;
  const who = parseNamesFirst(text, command.mentions);
  const changes = 'ok' in who ? 'Start with whose roles change.' : parseRoleChanges(who.reason);
  const firstAction = (wanted: Change[] | string) =>
    typeof wanted === 'string' ? 'role.grant' : `role.${wanted[0]?.change ?? 'grant'}`;
  // Checked before anyone is looked up: resolving a mention may make a member on first
  // sight, and a refused command must change nothing.
  const denied = await refuseUnlessAdmin(services, command, 'change roles', {
    action: firstAction(changes),
    wanted: { text: args },
  });
  if (denied) return denied;
  if ('ok' in who || typeof changes === 'string' || who.amount !== null) {
    const problem = typeof changes === 'string' ? changes : 'Say which roles change.';
    return textReply(`${problem} For example: ${usage}`, { outcome: 'usage', code: 'usage' });
  }
  const organizationId = command.actor.organizationId;
  const resolved = await command.mentionResolver.resolve(organizationId, who.recipients);
  if (resolved.outsiders?.length) {
    return refusalReply('outsider', outsidersSentence(resolved.outsiders));
  }
  if (resolved.unknown.length > 0 || resolved.members.length === 0) {
    return refusalReply(
      'unknown_member',
      resolved.unknown.length > 0
        ? `I do not know who ${listNames(resolved.unknown)} is.`
        : 'Nobody is in that group, so no roles change.',
    );
  }
  const actor = actorOfCommand(command);
  const lines: string[] = [];
  let refused: { code: string } | undefined;
  let done = 0;
  const members = [...new Map(resolved.members.map((member) => [member.id, member])).values()];
  for (const member of members) {
    for (const change of changes) {
      const result = await changeRole(services.db, actor, { memberId: member.id, ...change });
      if (!result.ok) {
        // A non-admin is refused once, not once per change.
        if (result.code === 'not_admin') return refusalReply(result.code, result.message);
        refused ??= result;
        lines.push(result.message);
        continue;
      }
      done += 1;
      const verb = change.change === 'grant' ? 'is' : 'is no longer';
      lines.push(
        `${result.value.displayName} ${verb} ${change.role}; roles now: ${result.value.roles.join(', ')}.`,
      );
    }
  }
  const reply = lines.join('\n');
  // Changes made are reported as done, beside any that were refused.
  return refused && done === 0 ? refusalReply(refused.code, reply) : textReply(reply);
}

async function listRoles(services: AdminServices, command: Command): Promise<Reply> {
  const denied = await refuseUnlessAdmin(services, command, 'see who holds which role', {
    action: 'role.read',
  });
  if (denied) return denied;
  const holders = await listRoleHolders(services.db, command.actor.organizationId);
  const named = (role: MemberRole) =>
    holders.filter((holder) => holder.roles.includes(role)).map((holder) => holder.displayName);
  const admins = named('admin');
  const hr = named('hr');
  const lines = [
    `Admins: ${admins.length > 0 ? listNames(admins) : 'nobody'}.`,
    `HR: ${hr.length > 0 ? listNames(hr) : 'nobody'}.`,
    `Change them with ${command.commandName} admin roles @someone +admin -hr.`,
  ];
  return textReply(lines.join('\n'), {
    blocks: [
      { kind: 'heading', text: 'Roles' },
      {
        kind: 'fields',
        fields: [
          { label: 'Admins', value: admins.join(', ') || 'nobody' },
          { label: 'HR', value: hr.join(', ') || 'nobody' },
        ],
      },
      { kind: 'context', text: lines[2] as string },
    ],
  });
}

export const ROLES_VERB: AdminVerb = {
  name: 'roles',
  usage: '[@someone +admin -hr]',
  summary: 'who is admin and HR; grant or revoke a role',
  handle: roles,
};
