import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { Refusal } from '../core/result.ts';
import { findGroupByName } from '../directory/groups.ts';
import { normalizeCommandText, parseNamesFirst } from '../recognition/grammar/give-grammar.ts';
import { listNames, outsidersSentence } from '../recognition/wording.ts';
import { missingRole, requireRole } from './access.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import {
  changeGroupMembers,
  createGroupAsAdmin,
  type GroupView,
  listGroups,
  renameGroup,
  syncMirroredGroups,
} from './group-admin.ts';

/** Members named in a group's line before the rest are counted. */
const NAMES_SHOWN = 10;

const SOURCE_LABEL: Record<GroupView['source'], string> = {
  manual: 'made by hand',
  slack: 'Slack user group',
  teams: 'Teams team',
};

/** `/kudos admin groups …`: list, create, change and sync groups that rules can name. */
export const GROUPS_VERB: AdminVerb = {
  name: 'groups',
  aliases: ['group'],
  usage: '[create "Name" @a @b | add "Name" @c | remove "Name" @c | rename "Name" "New" | sync]',
  summary: 'groups of people that who-may-give and who-may-receive rules can name',
  handle: (services, command, args) => groupsCommand(services, command, args),
};

async function groupsCommand(
  services: AdminServices,
  command: Command,
  args: string,
): Promise<Reply> {
  const text = normalizeCommandText(args);
  const [verb = '', ...rest] = text.split(/\s+/);
  const tail = text.slice(verb.length).trim();
  switch (verb.toLowerCase()) {
    case '':
    case 'list':
      return list(services, command);
    case 'create':
    case 'new':
      return create(services, command, tail);
    case 'add':
      return change(services, command, tail, 'add');
    case 'remove':
      return change(services, command, tail, 'remove');
    case 'rename':
      return rename(services, command, tail);
    case 'sync':
      return rest.length === 0 ? sync(services, command) : usage(command, 'Say just groups sync.');
    default:
      return usage(command, `There is no groups command “${verb}”.`);
  }
}

function usage(command: Command, first: string): Reply {
  const name = `${command.commandName} admin groups`;
  return textReply(
    [
      first,
      `${name} — every group and who is in it`,
      `${name} create "Sales EMEA" @ana @li — a group made by hand`,
      `${name} add "Sales EMEA" @jose / ${name} remove "Sales EMEA" @li`,
      `${name} rename "Sales EMEA" "Sales Europe"`,
      `${name} sync — mirror Slack user groups and Teams teams now`,
    ].join('\n'),
    { outcome: 'usage', code: 'usage' },
  );
}

const refused = (refusal: Refusal) => refusalReply(refusal.code, refusal.message);

/** A group's name at the start of the text: `"Sales EMEA"` in quotes, or one word. */
function readName(text: string): { name: string; rest: string } | undefined {
  const match = /^"([^"]*)"|^([^\s"]+)/.exec(text);
  if (!match) return undefined;
  const name = (match[1] ?? match[2] ?? '').trim();
  return name ? { name, rest: text.slice(match[0].length).trim() } : undefined;
}

/** The members the text names (mentions, and user groups whose members they are). */
async function namedMembers(
  command: Command,
  text: string,
): Promise<{ memberIds: number[] } | Reply> {
  if (text === '') return { memberIds: [] };
  const parsed = parseNamesFirst(text, command.mentions);
  if ('ok' in parsed || parsed.amount !== null || parsed.reason !== '') {
    return usage(command, 'Name the people with mentions, like @ana @li.');
  }
  const resolved = await command.mentionResolver.resolve(
    command.actor.organizationId,
    parsed.recipients,
  );
  if (resolved.outsiders?.length) {
    return refusalReply('outsider', outsidersSentence(resolved.outsiders));
  }
  if (resolved.unknown.length > 0) {
    return refusalReply(
      'unknown_member',
      `I do not know who ${listNames(resolved.unknown)} is; nothing changed.`,
    );
  }
  return { memberIds: resolved.members.map((member) => member.id) };
}

async function list(services: AdminServices, command: Command): Promise<Reply> {
  const actor = actorOfCommand(command);
  // A read changes nothing, so a refused one is not audited.
  if (!actor.roles.includes('admin')) return refused(missingRole('admin', 'see the groups'));
  const groups = await listGroups(services.db, actor.organizationId);
  if (groups.length === 0) {
    return textReply(
      `There are no groups yet. Make one with ${command.commandName} admin groups create "Name" @someone, or mirror Slack user groups and Teams teams with ${command.commandName} admin groups sync.`,
    );
  }
  const names = await memberNames(
    services,
    actor.organizationId,
    groups.flatMap((group) => group.memberIds),
  );
  const items = groups.map((group) => {
    const shown = group.memberIds.slice(0, NAMES_SHOWN).map((id) => names.get(id) ?? `#${id}`);
    const more = group.memberIds.length - shown.length;
    const people =
      group.memberIds.length === 0
        ? 'nobody'
        : `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    return `${group.name} (${SOURCE_LABEL[group.source]}, ${group.memberIds.length} ${group.memberIds.length === 1 ? 'member' : 'members'}): ${people}`;
  });
  return textReply(`Groups:\n${items.join('\n')}`, {
    blocks: [
      { kind: 'heading', text: 'Groups' },
      { kind: 'list', items },
    ],
  });
}

async function memberNames(
  services: AdminServices,
  organizationId: number,
  memberIds: readonly number[],
): Promise<Map<number, string>> {
  if (memberIds.length === 0) return new Map();
  const rows = await services.db
    .selectFrom('members')
    .select(['id', 'display_name'])
    .where('organization_id', '=', organizationId)
    .where('id', 'in', [...new Set(memberIds)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.display_name]));
}

async function create(services: AdminServices, command: Command, text: string): Promise<Reply> {
  const named = readName(text);
  if (!named) return usage(command, 'Name the group: groups create "Sales EMEA" @ana @li.');
  const actor = actorOfCommand(command);
  // Checked before anyone is looked up: a refused attempt names nobody new to Plaudit.
  const denied = await requireRole(services.db, actor, 'admin', 'create groups', {
    action: 'group.create',
    wanted: { name: named.name, text: named.rest },
  });
  if (denied) return refused(denied);
  const members = await namedMembers(command, named.rest);
  if ('text' in members) return members;
  const created = await createGroupAsAdmin(services, actor, {
    name: named.name,
    memberIds: members.memberIds,
  });
  if (!created.ok) return refused(created);
  const group = created.value;
  return textReply(
    `Made the group ${group.name} with ${group.memberIds.length} ${group.memberIds.length === 1 ? 'member' : 'members'}. Rules can name it as group:"${group.name}".`,
  );
}

async function change(
  services: AdminServices,
  command: Command,
  text: string,
  way: 'add' | 'remove',
): Promise<Reply> {
  const named = readName(text);
  if (!named || named.rest === '') {
    return usage(
      command,
      way === 'add'
        ? 'Name the group and who joins it: groups add "Sales EMEA" @jose.'
        : 'Name the group and who leaves it: groups remove "Sales EMEA" @li.',
    );
  }
  const actor = actorOfCommand(command);
  const group = await findGroupByName(services.db, actor.organizationId, named.name);
  const denied = await requireRole(services.db, actor, 'admin', 'change groups', {
    action: 'group.members',
    target: group ? `group:${group.id}` : null,
    wanted: { group: named.name, [way]: named.rest },
  });
  if (denied) return refused(denied);
  if (!group) {
    return refusalReply(
      'unknown_group',
      `There is no group called ${named.name}; ${command.commandName} admin groups lists them.`,
    );
  }
  const members = await namedMembers(command, named.rest);
  if ('text' in members) return members;
  const changed = await changeGroupMembers(
    services,
    actor,
    group.id,
    way === 'add' ? { add: members.memberIds } : { remove: members.memberIds },
  );
  if (!changed.ok) return refused(changed);
  const count = changed.value.memberIds.length;
  return textReply(
    `${way === 'add' ? 'Added to' : 'Took out of'} ${group.name}: ${members.memberIds.length} ${members.memberIds.length === 1 ? 'person' : 'people'}. It has ${count} ${count === 1 ? 'member' : 'members'} now.`,
  );
}

async function rename(services: AdminServices, command: Command, text: string): Promise<Reply> {
  const named = readName(text);
  const renamed = named && readName(named.rest);
  if (!named || !renamed || renamed.rest !== '') {
    return usage(command, 'Name the group and its new name: groups rename "Sales EMEA" "Sales".');
  }
  const actor = actorOfCommand(command);
  const group = await findGroupByName(services.db, actor.organizationId, named.name);
  const denied = await requireRole(services.db, actor, 'admin', 'rename groups', {
    action: 'group.rename',
    target: group ? `group:${group.id}` : null,
    wanted: { group: named.name, name: renamed.name },
  });
  if (denied) return refused(denied);
  if (!group) {
    return refusalReply(
      'unknown_group',
      `There is no group called ${named.name}; ${command.commandName} admin groups lists them.`,
    );
  }
  const done = await renameGroup(services, actor, group.id, renamed.name);
  if (!done.ok) return refused(done);
  return textReply(`${group.name} is called ${done.value.name} now.`);
}

async function sync(services: AdminServices, command: Command): Promise<Reply> {
  const actor = actorOfCommand(command);
  const done = await syncMirroredGroups(services, actor);
  if (!done.ok) return refused(done);
  if (done.value.length === 0) {
    return textReply(
      'No chat platform here has groups to mirror; make groups by hand with groups create.',
    );
  }
  const lines = done.value.map((report) => {
    const what = report.platform === 'slack' ? 'Slack user groups' : 'Teams teams';
    const failed =
      report.failed.length > 0 ? ` Could not read: ${listNames([...report.failed])}.` : '';
    return `${what}: ${report.groups} mirrored, ${report.changed} changed.${failed}`;
  });
  return textReply(lines.join('\n'));
}
