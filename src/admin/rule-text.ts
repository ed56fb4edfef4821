import type { Command } from '../core/command.ts';
import type { PermissionRule, PermissionSubjects } from '../core/permission-rule.ts';
import { type Refusal, refuse } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { findGroupByName, findMirroredGroup, groupMemberIds } from '../directory/groups.ts';
import {
  type MentionEntity,
  normalizeCommandText,
  type RecipientRef,
} from '../recognition/grammar/give-grammar.ts';
import { listNames, outsidersSentence } from '../recognition/wording.ts';
import type { AdminRefusalCode } from './admin-refusals.ts';

/**
 * The text of the rule commands: `everyone`, `only …` or `except …` over people (chat
 * mentions), groups (`group:"Sales EMEA"`) and roles (`role:hr`); and a rule told back
 * in words, with names.
 */

/** Someone a rule names, as written. */
export type SubjectRef =
  | { readonly kind: 'mention'; readonly ref: RecipientRef; readonly text: string }
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'role'; readonly role: MemberRole };

export interface RuleText {
  readonly kind: PermissionRule['kind'];
  readonly subjects: readonly SubjectRef[];
}

export type RuleTextRefusal = Refusal<AdminRefusalCode>;

const usage = (message: string): RuleTextRefusal => refuse('usage', message);

const SLACK_USER = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/;
const SLACK_GROUP = /^<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>/;
const TEAMS_MENTION = /^<at>([^<]*)<\/at>/;
const QUOTED_NAME = /^@"([^"]+)"/;
const NAME = /^@([^\s,;:!?()<>"&]+)/u;
const GROUP = /^group:(?:"([^"]*)"|([^\s,;"]+))/i;
const ROLE = /^role:([^\s,;]*)/i;
const SEPARATOR = /^(?:\s+|,|;|&(?:amp;)?(?=\s)|and(?=\s|$))/i;

const ROLE_WORDS: Readonly<Record<string, MemberRole>> = {
  member: 'member',
  members: 'member',
  admin: 'admin',
  admins: 'admin',
  hr: 'hr',
};

const HOW_TO_NAME =
  'Name people with @, groups as group:"Sales EMEA" and roles as role:admin or role:hr.';

/** The people, groups and roles a rule command names, in order. */
export function parseSubjects(
  text: string,
  mentions: readonly MentionEntity[] = [],
): SubjectRef[] | RuleTextRefusal {
  const unused = [...mentions];
  const subjects: SubjectRef[] = [];
  let rest = normalizeCommandText(text);
  while (rest.length > 0) {
    let match = SEPARATOR.exec(rest);
    if (match) {
      rest = rest.slice(match[0].length);
      continue;
    }
    match = ROLE.exec(rest);
    if (match) {
      const word = (match[1] ?? '').toLowerCase();
      const role = ROLE_WORDS[word];
      if (word === 'guest' || word === 'guests') {
        return refuse(
          'unknown_role',
          'Guests are not a role here: whether guests may give and receive is the setting guests=yes or guests=no.',
        );
      }
      if (!role) {
        return refuse(
          'unknown_role',
          `“${match[0]}” is not a role; roles are member, admin and hr.`,
        );
      }
      subjects.push({ kind: 'role', role });
      rest = rest.slice(match[0].length);
      continue;
    }
    match = GROUP.exec(rest);
    if (match) {
      const name = (match[1] ?? match[2] ?? '').trim();
      if (name.length === 0) return usage(`Say which group, like group:"Sales EMEA".`);
      subjects.push({ kind: 'group', name });
      rest = rest.slice(match[0].length);
      continue;
    }
    match = SLACK_USER.exec(rest);
    if (match) {
      const ref = { kind: 'slack_user' as const, userId: match[1] as string };
      subjects.push({ kind: 'mention', ref, text: match[2] ? `@${match[2]}` : 'that person' });
      rest = rest.slice(match[0].length);
      continue;
    }
    match = SLACK_GROUP.exec(rest);
    if (match) {
      const label = match[2] || null;
      const ref = { kind: 'slack_group' as const, groupId: match[1] as string, label };
      subjects.push({ kind: 'mention', ref, text: label ? `@${label}` : 'that group' });
      rest = rest.slice(match[0].length);
      continue;
    }
    match = TEAMS_MENTION.exec(rest);
    if (match) {
      const shown = match[0];
      const index = unused.findIndex((mention) => normalizeCommandText(mention.text) === shown);
      const entity = unused[index];
      if (!entity) {
        return usage(
          `I could not tell who ${match[1]?.trim() || 'that mention'} is; pick them from the mention list.`,
        );
      }
      unused.splice(index, 1);
      const ref = { kind: 'teams_user' as const, userId: entity.userId, name: entity.name };
      subjects.push({ kind: 'mention', ref, text: entity.name });
      rest = rest.slice(match[0].length);
      continue;
    }
    match = QUOTED_NAME.exec(rest) ?? NAME.exec(rest);
    if (match) {
      const name = (match[1] as string).replace(/\.+$/, '').trim();
      if (name.length > 0) {
        subjects.push({ kind: 'mention', ref: { kind: 'name', name }, text: `@${name}` });
        rest = rest.slice(match[0].length);
        continue;
      }
    }
    const word = rest.split(/\s/, 1)[0] ?? rest;
    return usage(`I do not know “${word}”. ${HOW_TO_NAME}`);
  }
  return subjects;
}

/**
 * `everyone`, `only …`, `except …` (or `everyone except …`): the rule an `allow-give` or
 * `allow-receive` command asks for.
 */
export function parseRuleText(
  text: string,
  mentions: readonly MentionEntity[] = [],
): RuleText | RuleTextRefusal {
  const normal = normalizeCommandText(text);
  const match = /^(everyone(?:[\s_-]+except\b)?|only\b|except\b|all\b)\s*(.*)$/is.exec(normal);
  const shapes = 'everyone, only @someone group:"Name" role:hr, or except @someone …';
  if (!match) {
    return usage(
      normal.length === 0
        ? `Say who: ${shapes}.`
        : `Start with everyone, only or except; for example: ${shapes}.`,
    );
  }
  const head = (match[1] as string).toLowerCase().replace(/[\s_-]+/g, ' ');
  const rest = match[2] ?? '';
  if (head === 'everyone' || head === 'all') {
    if (rest.trim().length > 0) {
      return usage(
        `“everyone” takes nobody after it; to leave some out, write except ${rest.trim()}.`,
      );
    }
    return { kind: 'everyone', subjects: [] };
  }
  const subjects = parseSubjects(rest, mentions);
  if ('ok' in subjects) return subjects;
  if (subjects.length === 0) {
    return usage(
      head === 'only'
        ? `Say who, like only @ana group:"Design" role:hr. ${HOW_TO_NAME}`
        : `Say who to leave out, like except @bob role:admin. ${HOW_TO_NAME}`,
    );
  }
  return { kind: head === 'only' ? 'only' : 'everyone_except', subjects };
}

/** The members, groups and roles that subjects name, in the organization. */
export interface ResolvedSubjects {
  readonly members: number[];
  readonly groups: number[];
  readonly roles: MemberRole[];
}

/**
 * Turns the subjects a command names into ids: mentions through the platform's resolver,
 * a Slack user group to the group that mirrors it, `@name` to a group of that name when
 * it names a group rather than a person, `group:"Name"` by name.
 */
export async function resolveSubjects(
  db: Database,
  command: Pick<Command, 'mentionResolver'> & { actor: { organizationId: number } },
  subjects: readonly SubjectRef[],
): Promise<ResolvedSubjects | RuleTextRefusal> {
  const organizationId = command.actor.organizationId;
  const resolved: ResolvedSubjects = { members: [], groups: [], roles: [] };
  for (const subject of subjects) {
    if (subject.kind === 'role') {
      resolved.roles.push(subject.role);
      continue;
    }
    if (subject.kind === 'group') {
      const group = await findGroupByName(db, organizationId, subject.name);
      if (!group) return refuse('unknown_group', `There is no group “${subject.name}” here.`);
      resolved.groups.push(group.id);
      continue;
    }
    const { ref } = subject;
    if (ref.kind === 'slack_group') {
      const group = await findMirroredGroup(db, {
        organizationId,
        source: 'slack',
        externalId: ref.groupId,
      });
      if (!group) {
        return refuse(
          'unknown_group',
          `Plaudit does not follow ${subject.text} yet; run admin groups sync, then try again.`,
        );
      }
      resolved.groups.push(group.id);
      continue;
    }
    const found = await command.mentionResolver.resolve(organizationId, [ref]);
    if (found.outsiders?.length) return refuse('outsider', outsidersSentence(found.outsiders));
    const group =
      ref.kind === 'name' ? await findGroupByName(db, organizationId, ref.name) : undefined;
    const ids = [...new Set(found.members.map((member) => member.id))];
    if (group && !(ids.length === 1 && !(await isExactlyGroup(db, group, ids)))) {
      // The console's resolver reads `@design` as the Design group's members: the rule
      // names the group, so it follows the group as people join and leave it.
      resolved.groups.push(group.id);
      continue;
    }
    if (found.unknown.length > 0 || ids.length === 0) {
      return refuse(
        'unknown_member',
        `I do not know who ${listNames(found.unknown.length > 0 ? found.unknown : [subject.text])} is.`,
      );
    }
    resolved.members.push(...ids);
  }
  return resolved;
}

/** Whether a group's members are exactly these (a resolver that expanded the group). */
async function isExactlyGroup(
  db: Database,
  group: Parameters<typeof groupMemberIds>[1],
  ids: readonly number[],
): Promise<boolean> {
  const members = await groupMemberIds(db, group);
  return members.length === ids.length && members.every((id) => ids.includes(id));
}

/** Names to tell a rule with. */
export interface RuleNames {
  readonly members: ReadonlyMap<number, string>;
  readonly groups: ReadonlyMap<number, string>;
}

/** The names of the members and groups these rules list. */
export async function loadRuleNames(
  db: Database,
  organizationId: number,
  rules: readonly PermissionRule[],
): Promise<RuleNames> {
  const members = new Set<number>();
  const groups = new Set<number>();
  for (const rule of rules) {
    if (rule.kind === 'everyone') continue;
    for (const id of rule.members ?? []) members.add(id);
    for (const id of rule.groups ?? []) groups.add(id);
  }
  const [memberRows, groupRows] = [
    members.size === 0
      ? []
      : await db
          .selectFrom('members')
          .select(['id', 'display_name'])
          .where('organization_id', '=', organizationId)
          .where('id', 'in', [...members])
          .execute(),
    groups.size === 0
      ? []
      : await db
          .selectFrom('groups')
          .select(['id', 'name'])
          .where('organization_id', '=', organizationId)
          .where('id', 'in', [...groups])
          .execute(),
  ];
  return {
    members: new Map(memberRows.map((row) => [row.id, row.display_name])),
    groups: new Map(groupRows.map((row) => [row.id, row.name])),
  };
}

const ROLE_NAMES: Readonly<Record<MemberRole, string>> = {
  member: 'members',
  admin: 'admins',
  hr: 'HR',
};

/** The people, groups and roles a rule lists, in words: `Ana Silva, the Design group and HR`. */
export function describeSubjects(subjects: PermissionSubjects, names: RuleNames): string[] {
  return [
    ...(subjects.members ?? []).map((id) => names.members.get(id) ?? `member ${id}`),
    ...(subjects.groups ?? []).map((id) => {
      const name = names.groups.get(id);
      return name === undefined ? `group ${id} (deleted)` : `the ${name} group`;
    }),
    ...(subjects.roles ?? []).map((role) => ROLE_NAMES[role]),
  ];
}

/** A rule in one sentence: `Only Ana Silva, the Design group and HR may give kudos.` */
export function describeRule(
  which: 'give' | 'receive',
  rule: PermissionRule,
  names: RuleNames,
): string {
  const verb = `may ${which} kudos`;
  if (rule.kind === 'everyone') return `Everyone ${verb}.`;
  const listed = describeSubjects(rule, names);
  if (rule.kind === 'only') {
    return listed.length === 0 ? `Nobody ${verb}.` : `Only ${listNames(listed)} ${verb}.`;
  }
  return listed.length === 0
    ? `Everyone ${verb}.`
    : `Everyone except ${listNames(listed)} ${verb}.`;
}

/**
 * What `deny` makes of a rule: everyone but these (added to those already left out), or,
 * for an `only` rule, the same list without these. `absent` lists what an `only` rule
 * did not name, so the reply can say that nothing changed for them.
 */
export function denySubjects(
  rule: PermissionRule,
  denied: ResolvedSubjects,
): { rule: PermissionRule; absent: ResolvedSubjects } {
  const absent: ResolvedSubjects = { members: [], groups: [], roles: [] };
  if (rule.kind === 'everyone') {
    return { rule: { kind: 'everyone_except', ...denied }, absent };
  }
  if (rule.kind === 'everyone_except') {
    return {
      rule: {
        kind: 'everyone_except',
        members: [...(rule.members ?? []), ...denied.members],
        groups: [...(rule.groups ?? []), ...denied.groups],
        roles: [...(rule.roles ?? []), ...denied.roles],
      },
      absent,
    };
  }
  const keep = <T>(listed: readonly T[] | undefined, removed: readonly T[], missing: T[]) => {
    for (const item of removed) if (!(listed ?? []).includes(item)) missing.push(item);
    return (listed ?? []).filter((item) => !removed.includes(item));
  };
  return {
    rule: {
      kind: 'only',
      members: keep(rule.members, denied.members, absent.members),
      groups: keep(rule.groups, denied.groups, absent.groups),
      roles: keep(rule.roles, denied.roles, absent.roles),
    },
    absent,
  };
}
