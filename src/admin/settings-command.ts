import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { normalizeCommandText } from '../recognition/grammar/give-grammar.ts';
import { counted, days, listNames, points, quoted } from '../recognition/wording.ts';
import { formatMoney, formatRate, parseMoney, parseRate } from '../rewards/money.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';
import {
  changeProgramSettings,
  type ProgramSettings,
  type ProgramSettingsChange,
  readProgramSettings,
} from './program-settings.ts';
import { parseSubjects, resolveSubjects } from './rule-text.ts';
import { applySettingsChange } from './settings-validation.ts';

/** The keys `admin settings key=value` takes, as the plan's chat grammar names them. */
export const CHAT_SETTING_KEYS = [
  'timezone',
  'currency',
  'allowance',
  'cadence',
  'rollover-cap',
  'prorate',
  'default',
  'min',
  'max',
  'max-recipients',
  'pair-cap',
  'values',
  'value-required',
  'min-reason',
  'max-reason',
  'channel',
  'guests',
  'leaver-days',
  'reactions',
  'reaction-grace',
  'boosts',
  'rate',
  'budget',
  'hold-days',
  'role-allowance',
  'member-allowance',
] as const;

export type ChatKey = (typeof CHAT_SETTING_KEYS)[number];

/**
 * `key=value`, `key="several words"` (a quote or backslash inside escaped with a
 * backslash) or `key=“curly quotes”`, in order; keys may repeat. A Teams mention
 * (`<at>Ana Silva</at>`) in a bare value is kept whole. Returns the sentence saying what
 * could not be read otherwise.
 */
export function readSettingPairs(text: string): Array<[string, string]> | string {
  const pairs: Array<[string, string]> = [];
  const pattern =
    /\s*([a-z][a-z-]*)=(?:"((?:[^"\\]|\\.)*)"|“([^”]*)”|((?:<at>[^<]*<\/at>|[^\s"“”])+))?/giy;
  let position = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const quoted = match[2]?.replace(/\\(.)/g, '$1');
    pairs.push([(match[1] as string).toLowerCase(), quoted ?? match[3] ?? match[4] ?? '']);
    position = pattern.lastIndex;
    if (position >= text.length) break;
  }
  const rest = text.slice(position).trim();
  if (rest.length > 0) {
    const word = rest.split(/\s/, 1)[0] ?? rest;
    return `I could not read ${quoted(word)}; write key=value, with values that have spaces in double quotes.`;
  }
  return pairs;
}

const WHOLE = /^[+-]?\d{1,15}$/;

/** A whole number, or the text as typed, so the settings check can say what is wrong with it. */
const whole = (text: string): number => (WHOLE.test(text.trim()) ? Number(text) : (text as never));

const isNone = (text: string) => ['none', 'off', ''].includes(text.trim().toLowerCase());

function yesNo(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (['yes', 'y', 'true', 'on', '1'].includes(word)) return true;
  if (['no', 'n', 'false', 'off', '0'].includes(word)) return false;
  return text as never;
}

/** A Slack channel link (`<#C123|general>`) as its id; anything else as typed. */
function channelId(text: string): string {
  return /^<#([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim())?.[1] ?? text.trim();
}

/**
 * `taco:1,star:5` (or `:taco::1`, as Slack shows an emoji typed in text) as emoji names
 * with their points; amounts that are not whole numbers are kept as typed, so the
 * settings' check names them.
 */
function reactionPointsOf(text: string, problems: string[]): Record<string, number> {
  const byEmoji: Record<string, number> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const match = /^:?([^:\s]+(?:::skin-tone-\d)?):?:(.+)$/.exec(item.trim());
    if (!match) {
      problems.push(
        `Write the reactions that give points as reactions=taco:1,star:5, or reactions=none; ${quoted(item.trim())} is not that.`,
      );
      continue;
    }
    byEmoji[match[1] as string] = whole(match[2] as string);
  }
  return byEmoji;
}

/**
 * The change a command's pairs ask for, or the sentences saying what is wrong with them.
 * Values are read as far as their kind allows; whether they are in range is the
 * settings' own check, which names each bad value.
 */
export async function settingsChangeOf(
  db: Database,
  /** The chat command the pairs came from; null for the console's form, which names no one. */
  command: Command | null,
  pairs: ReadonlyArray<[string, string]>,
  current: ProgramSettings,
): Promise<ProgramSettingsChange | { problems: string[]; readable: ProgramSettingsChange }> {
  const problems: string[] = [];
  const change: ProgramSettingsChange = {};
  const allowance: NonNullable<ProgramSettingsChange['allowance']> = {};
  const roleAllowances: Partial<Record<MemberRole, number | null>> = {};
  const memberAllowances: Array<{ memberId: number; amount: number | null }> = [];
  const currencyOf = () =>
    typeof change.currency === 'string' && /^[A-Z]{3}$/.test(change.currency)
      ? change.currency
      : current.currency;
  // Money is read in the currency the command leaves in place: rate and budget last.
  const ordered = [...pairs].sort(
    ([a], [b]) => Number(['rate', 'budget'].includes(a)) - Number(['rate', 'budget'].includes(b)),
  );
  for (const [key, value] of ordered) {
    switch (key as ChatKey) {
      case 'timezone':
        change.timezone = value;
        break;
      case 'currency':
        change.currency = value.trim();
        break;
      case 'allowance':
        allowance.amount = whole(value);
        break;
      case 'cadence':
        allowance.cadence = value.trim().toLowerCase() as never;
        break;
      case 'rollover-cap':
        allowance.rolloverCap = whole(value);
        break;
      case 'prorate':
        allowance.prorateNewMembers = yesNo(value);
        break;
      case 'default':
        change.defaultAmount = whole(value);
        break;
      case 'min':
        change.minAmount = whole(value);
        break;
      case 'max':
        change.maxAmount = whole(value);
        break;
      case 'max-recipients':
        change.maxRecipients = whole(value);
        break;
      case 'pair-cap':
        change.dailyPairCap = isNone(value) ? null : whole(value);
        break;
      case 'values':
        change.values = value.split(',').filter((item) => item.trim().length > 0);
        break;
      case 'value-required':
        change.valueRequired = yesNo(value);
        break;
      case 'min-reason':
        change.minReasonLength = whole(value);
        break;
      case 'max-reason':
        change.maxReasonLength = whole(value);
        break;
      case 'channel':
        change.announcementChannel = isNone(value) ? null : channelId(value);
        break;
      case 'guests':
        change.guestsMayParticipate = yesNo(value);
        break;
      case 'leaver-days':
        change.leaverRedeemDays = whole(value);
        break;
      case 'reactions':
        change.reactionPoints = isNone(value) ? {} : reactionPointsOf(value, problems);
        break;
      case 'reaction-grace':
        change.reactionGraceMinutes = whole(value);
        break;
      case 'boosts':
        change.boostsAllowed = yesNo(value);
        break;
      case 'rate':
        change.pointValueMilli = parseRate(value, currencyOf()) ?? (value as never);
        break;
      case 'budget':
        change.monthlyBudgetMinor = isNone(value)
          ? null
          : (parseMoney(value, currencyOf()) ?? (value as never));
        break;
      case 'hold-days': {
        const days = /^\d{1,6}(?:\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
        change.holdHours = days === undefined ? (value as never) : Math.round(days * 24);
        break;
      }
      case 'role-allowance': {
        const match = /^([a-z]+):(.*)$/i.exec(value.trim());
        if (!match) {
          problems.push(
            `Write a role's allowance as role-allowance=hr:200, or hr:none to remove it; ${quoted(value)} is not that.`,
          );
          break;
        }
        const role = (match[1] as string).toLowerCase() as MemberRole;
        roleAllowances[role] = isNone(match[2] as string) ? null : whole(match[2] as string);
        break;
      }
      case 'member-allowance': {
        if (!command) {
          problems.push("A member's allowance is set in chat, where people can be named.");
          break;
        }
        const at = value.lastIndexOf(':');
        const subjects = at > 0 ? parseSubjects(value.slice(0, at), command.mentions) : [];
        const [subject] = Array.isArray(subjects) ? subjects : [];
        if (!Array.isArray(subjects) || subjects.length !== 1 || subject?.kind !== 'mention') {
          problems.push(
            `Write a member's allowance as member-allowance=@ana:50, or @ana:none to remove it; ${quoted(value)} is not that.`,
          );
          break;
        }
        const resolved = await resolveSubjects(db, command, [subject]);
        if ('ok' in resolved || resolved.members.length !== 1) {
          problems.push(
            'ok' in resolved ? resolved.message : `${subject.text} is a group; name one person.`,
          );
          break;
        }
        const amount = value.slice(at + 1);
        memberAllowances.push({
          memberId: resolved.members[0] as number,
          amount: isNone(amount) ? null : whole(amount),
        });
        break;
      }
      default:
        problems.push(
          `${quoted(key)} is not a setting; the settings are ${listNames([...CHAT_SETTING_KEYS])}.`,
        );
    }
  }
  if (Object.keys(allowance).length > 0) change.allowance = allowance;
  if (Object.keys(roleAllowances).length > 0) change.roleAllowances = roleAllowances;
  if (memberAllowances.length > 0) change.memberAllowances = memberAllowances;
  return problems.length > 0 ? { problems, readable: change } : change;
}

const yes = (on: boolean) => (on ? 'yes' : 'no');

/** One line of the settings as people read them: a label with the key that changes it. */
interface SettingRow {
  readonly label: string;
  readonly value: (settings: ProgramSettings, memberNames: ReadonlyMap<number, string>) => string;
}

/** The settings, one row per chat key, in the order people read them. */
const SETTING_ROWS: readonly SettingRow[] = [
  { label: 'Allowance per period (allowance)', value: (s) => points(s.allowance.amount) },
  { label: 'Allowance period (cadence)', value: (s) => s.allowance.cadence },
  { label: 'Most carried over (rollover-cap)', value: (s) => points(s.allowance.rolloverCap) },
  { label: 'Newcomers prorated (prorate)', value: (s) => yes(s.allowance.prorateNewMembers) },
  {
    label: 'Allowance by role (role-allowance)',
    value: (s) =>
      Object.entries(s.roleAllowances)
        .map(([role, amount]) => `${role}: ${points(amount)}`)
        .join(', ') || 'none',
  },
  {
    label: 'Allowance by person (member-allowance)',
    value: (s, names) =>
      s.memberAllowances
        .map(
          ({ memberId, amount }) =>
            `${names.get(memberId) ?? `member ${memberId}`}: ${points(amount)}`,
        )
        .join(', ') || 'none',
  },
  { label: 'Time zone (timezone)', value: (s) => s.timezone },
  { label: 'Default points per kudos (default)', value: (s) => String(s.defaultAmount) },
  { label: 'Fewest points per kudos (min)', value: (s) => String(s.minAmount) },
  { label: 'Most points per kudos (max)', value: (s) => String(s.maxAmount) },
  { label: 'Most people per kudos (max-recipients)', value: (s) => String(s.maxRecipients) },
  {
    label: 'Daily cap per giver and recipient (pair-cap)',
    value: (s) => (s.dailyPairCap === null ? 'none' : points(s.dailyPairCap)),
  },
  {
    label: 'Company values (values)',
    value: (s) => s.values.map((value) => `#${value}`).join(', ') || 'none',
  },
  { label: 'Every kudos names a value (value-required)', value: (s) => yes(s.valueRequired) },
  { label: 'Shortest reason (min-reason)', value: (s) => counted(s.minReasonLength, 'character') },
  { label: 'Longest reason (max-reason)', value: (s) => counted(s.maxReasonLength, 'character') },
  { label: 'Guests take part (guests)', value: (s) => yes(s.guestsMayParticipate) },
  {
    label: 'Leavers may redeem for (leaver-days)',
    value: (s) => (s.leaverRedeemDays === 0 ? 'not at all' : days(s.leaverRedeemDays)),
  },
  {
    label: 'Reactions that give points (reactions)',
    value: (s) =>
      Object.entries(s.reactionPoints)
        .map(([emoji, amount]) => `:${emoji}: ${points(amount)}`)
        .join(', ') || 'none',
  },
  {
    label: 'A removed reaction takes its points back within (reaction-grace)',
    value: (s) => counted(s.reactionGraceMinutes, 'minute'),
  },
  { label: 'Colleagues may boost a kudos (boosts)', value: (s) => yes(s.boostsAllowed) },
  { label: 'Announcement channel (channel)', value: (s) => s.announcementChannel ?? 'none' },
  { label: 'Currency (currency)', value: (s) => s.currency },
  { label: 'A point is worth (rate)', value: (s) => formatRate(s.pointValueMilli, s.currency) },
  {
    label: 'Monthly redemption budget (budget)',
    value: (s) =>
      s.monthlyBudgetMinor === null ? 'none' : formatMoney(s.monthlyBudgetMinor, s.currency),
  },
  {
    label: 'A redemption waits for HR (hold-days)',
    value: (s) =>
      Number.isInteger(s.holdHours / 24) ? days(s.holdHours / 24) : counted(s.holdHours, 'hour'),
  },
];

async function memberNamesOf(
  db: Database,
  organizationId: number,
  settings: readonly ProgramSettings[],
): Promise<Map<number, string>> {
  const ids = [...new Set(settings.flatMap((s) => s.memberAllowances.map((e) => e.memberId)))];
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('members')
    .select(['id', 'display_name'])
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((row) => [row.id, row.display_name]));
}

async function showSettings(services: AdminServices, command: Command): Promise<Reply> {
  const denied = await refuseUnlessAdmin(services, command, "see the program's settings", {
    action: 'settings.read',
  });
  if (denied) return denied;
  const organizationId = command.actor.organizationId;
  const settings = await readProgramSettings(services.db, organizationId);
  const names = await memberNamesOf(services.db, organizationId, [settings]);
  const fields = SETTING_ROWS.map((row) => ({
    label: row.label,
    value: row.value(settings, names),
  }));
  const how = `Change them with ${command.commandName} admin settings key=value, like max=50 values="teamwork,ownership".`;
  return textReply(
    ['Program settings:', ...fields.map(({ label, value }) => `${label}: ${value}`), how].join(
      '\n',
    ),
    {
      blocks: [
        { kind: 'heading', text: 'Program settings' },
        { kind: 'fields', fields },
        { kind: 'context', text: how },
      ],
    },
  );
}

async function settings(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const text = normalizeCommandText(args);
  if (text.length === 0) return showSettings(services, command);
  const attempt = { action: 'settings.change', wanted: { text: args } };
  const what = "change the program's settings";
  const pairs = readSettingPairs(text);
  if (typeof pairs === 'string' || pairs.length === 0) {
    const denied = await refuseUnlessAdmin(services, command, what, attempt);
    const problem = typeof pairs === 'string' ? pairs : 'Say what to change.';
    return (
      denied ??
      textReply(
        `${problem} For example: ${command.commandName} admin settings max=50 cadence=weekly`,
        {
          outcome: 'usage',
          code: 'usage',
        },
      )
    );
  }
  if (pairs.some(([key]) => key === 'member-allowance')) {
    // Checked before the mention is looked up: resolving it may make a member on first
    // sight, and a refused command must change nothing.
    const denied = await refuseUnlessAdmin(services, command, what, attempt);
    if (denied) return denied;
  }
  const organizationId = command.actor.organizationId;
  const before = await readProgramSettings(services.db, organizationId);
  const change = await settingsChangeOf(services.db, command, pairs, before);
  if ('problems' in change) {
    const denied = await refuseUnlessAdmin(services, command, what, attempt);
    // The values that could be read are checked too, so one answer names every problem.
    const checked = applySettingsChange(before, change.readable);
    const problems = [...change.problems, ...(checked.ok ? [] : checked.problems)];
    return denied ?? refusalReply('invalid_setting', `${problems.join(' ')} Nothing was changed.`);
  }
  const result = await changeProgramSettings(services, actorOfCommand(command), change);
  if (!result.ok) {
    const tail = result.code === 'not_admin' ? '' : ' Nothing was changed.';
    return refusalReply(result.code, `${result.message}${tail}`);
  }
  const after = result.value;
  const names = await memberNamesOf(services.db, organizationId, [before, after]);
  const lines = SETTING_ROWS.flatMap((row) => {
    const [was, is] = [row.value(before, names), row.value(after, names)];
    return was === is ? [] : [`${row.label}: ${was} → ${is}`];
  });
  if (lines.length === 0) return textReply('Nothing changed: the settings were already so.');
  const notes = [
    ...(before.currency !== after.currency
      ? [`Reward prices and the budget keep their amounts, now in ${after.currency}.`]
      : []),
    ...(before.allowance.cadence !== after.allowance.cadence
      ? [
          `A ${after.allowance.cadence} period begins for each person at their next give (or the next reset); what they were already granted within it counts toward it.`,
        ]
      : []),
  ];
  const heading = 'Settings changed; they hold from now on.';
  return textReply([heading, ...lines, ...notes].join('\n'), {
    blocks: [
      { kind: 'heading', text: heading },
      { kind: 'list', items: lines },
      ...notes.map((note) => ({ kind: 'context' as const, text: note })),
    ],
  });
}

export const SETTINGS_VERB: AdminVerb = {
  name: 'settings',
  usage: '[key=value …]',
  summary: 'show or change the program: allowance, amounts, values, channel, currency, budget',
  handle: settings,
};
