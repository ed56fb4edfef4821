import { type Attempt, requireRole } from '../admin/access.ts';
import { actorOfCommand } from '../admin/admin-actor.ts';
import type { Command } from '../core/command.ts';
import { type Reply, type ReplyAction, refusalReply, textReply } from '../core/reply.ts';
import { parseNamesFirst } from '../recognition/grammar/give-grammar.ts';
import { counted, days, points } from '../recognition/wording.ts';
import { liability, monthlyStatement, monthOf, parseMonth } from './billing.ts';
import type { RewardItemFields } from './catalog.ts';
import { formatMoney, formatRate, parseMoney, parseRate } from './money.ts';
import { catalogLine, LISTED, parseId, redemptionLine, refused } from './reward-commands.ts';
import type { RewardDesk } from './reward-desk.ts';
import {
  changeRewardSettings,
  loadRewardSettings,
  type RewardSettingsChange,
} from './reward-settings.ts';

/**
 * `hr …`: HR's commands. Everyone else is refused, nothing changes, and the attempt is
 * written to the audit log as refused, under the action it tried.
 */
export async function hrCommand(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const [verb = '', ...rest] = args.trim().split(/\s+/);
  const tail = rest.join(' ');
  const actor = actorOfCommand(command);
  const notHr = await requireRole(desk.db, actor, 'hr', 'run the rewards', attemptOf(verb, rest));
  if (notHr) return refused(notHr, command);
  switch (verb.toLowerCase()) {
    case 'pending':
    case '':
      return pending(desk, command);
    case 'fulfil':
    case 'fulfill':
      return decide(desk, command, tail, 'fulfilled');
    case 'reject':
      return decide(desk, command, tail, 'rejected');
    case 'redeem':
      return redeemFor(desk, command, tail);
    case 'reward':
      return reward(desk, command, tail);
    case 'statement':
      return statement(desk, command, tail);
    case 'settings':
      return settings(desk, command, tail);
    default:
      return usage(command, `There is no HR command “${verb}”.`);
  }
}

/** What an `hr …` command tries, as the audit log names it; reads are `hr.read`. */
export function attemptOf(verb: string, rest: readonly string[]): Attempt {
  const wanted = { command: ['hr', verb, ...rest].join(' ').trim() };
  switch (verb.toLowerCase()) {
    case 'fulfil':
    case 'fulfill':
    case 'reject': {
      const id = parseId(rest[0]);
      return {
        action: verb.toLowerCase() === 'reject' ? 'redemption.reject' : 'redemption.fulfil',
        target: id === undefined ? null : `redemption:${id}`,
        wanted,
      };
    }
    case 'redeem':
      return { action: 'redemption.redeem_for', wanted };
    case 'reward': {
      const how = (rest[0] ?? '').toLowerCase();
      const id = parseId(rest[1]);
      const target = id === undefined ? null : `reward:${id}`;
      if (how === 'edit') return { action: 'reward.edit', target, wanted };
      if (how === 'retire') return { action: 'reward.retire', target, wanted };
      return { action: 'reward.create', wanted };
    }
    case 'settings':
      return rest.join('').length > 0
        ? { action: 'reward_settings.change', wanted }
        : { action: 'hr.read', wanted };
    default:
      return { action: 'hr.read', wanted };
  }
}

function usage(command: Command, first: string): Reply {
  const name = `${command.commandName} hr`;
  return textReply(
    [
      first,
      `${name} pending — redemptions waiting for a decision`,
      `${name} fulfil <id> / ${name} reject <id> <reason>`,
      `${name} redeem @someone <reward> — redeem on someone's behalf`,
      `${name} reward add name="Coffee voucher" cost=200 price=5.00 [stock=20] [webhook=https://…] [description="…"]`,
      `${name} reward edit <id> cost=250 stock=10 active=no … / ${name} reward retire <id>`,
      `${name} statement [YYYY-MM] — the month's charges`,
      `${name} settings [rate=0.01] [budget=500.00|none] [hold-days=14]`,
    ].join('\n'),
    { outcome: 'usage', code: 'usage' },
  );
}

async function pending(desk: RewardDesk, command: Command): Promise<Reply> {
  const organizationId = command.actor.organizationId;
  const held = await desk.redemptions.held(organizationId, LISTED);
  if (held.length === 0) return textReply('No redemption is waiting for a decision.');
  const names = await memberNames(
    desk,
    held.map((redemption) => redemption.memberId),
  );
  const lines = held.map(
    (redemption) =>
      `${redemptionLine(redemption)}, for ${names.get(redemption.memberId) ?? 'a member'}${redemption.fulfilment === 'webhook' ? ' (by webhook)' : ''}`,
  );
  return {
    ...textReply(lines.join('\n')),
    blocks: [
      { kind: 'heading', text: 'Redemptions waiting for HR' },
      ...held.flatMap((redemption, index) => [
        { kind: 'text' as const, text: lines[index] ?? '' },
        {
          kind: 'actions' as const,
          actions: [
            {
              label: `Fulfil #${redemption.id}`,
              command: `hr fulfil ${redemption.id}`,
              style: 'primary',
            },
            {
              label: `Reject #${redemption.id}`,
              command: `hr reject ${redemption.id} rejected by HR`,
              style: 'danger',
            },
          ] satisfies ReplyAction[],
        },
      ]),
    ],
  };
}

async function decide(
  desk: RewardDesk,
  command: Command,
  args: string,
  outcome: 'fulfilled' | 'rejected',
): Promise<Reply> {
  const [first, ...words] = args.trim().split(/\s+/);
  const redemptionId = parseId(first);
  const reason = words.join(' ').trim();
  if (redemptionId === undefined || (outcome === 'rejected' && reason.length === 0)) {
    return usage(
      command,
      outcome === 'rejected'
        ? 'Name the redemption and say why: hr reject <id> <reason>.'
        : 'Name the redemption: hr fulfil <id>.',
    );
  }
  if (reason.length > 500) return refusalReply('usage', 'Keep the reason under 500 characters.');
  const result = await desk.resolve(
    command.actor.organizationId,
    redemptionId,
    outcome,
    { memberId: command.actor.id, ...(reason && { reason }) },
    actorOfCommand(command),
  );
  if (!result.ok) return refused(result, command);
  const redemption = result.value;
  return textReply(
    outcome === 'fulfilled'
      ? `Redemption #${redemption.id} (“${redemption.itemName}”) is fulfilled; ${formatMoney(redemption.priceMinor, redemption.currency)} is billed.`
      : `Redemption #${redemption.id} (“${redemption.itemName}”) is rejected; ${points(redemption.points)} went back.`,
  );
}

async function redeemFor(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const parsed = parseNamesFirst(args, command.mentions);
  // The kudos grammar reads a number after the mention as points; here it belongs to the
  // reward: its name ("2 cinema tickets") or its id ("12"), as `redeem` reads them.
  const reference = 'ok' in parsed ? '' : [parsed.amount ?? '', parsed.reason].join(' ').trim();
  if ('ok' in parsed || parsed.recipients.length !== 1 || reference.length === 0) {
    return usage(command, 'Name one person and the reward: hr redeem @someone <reward>.');
  }
  const organizationId = command.actor.organizationId;
  const resolved = await command.mentionResolver.resolve(organizationId, parsed.recipients);
  const [member] = resolved.members;
  if (!member || resolved.unknown.length > 0) {
    return refusalReply(
      'unknown_recipient',
      `I do not know who ${resolved.unknown.join(', ')} is.`,
    );
  }
  const item = await desk.catalog.lookup(organizationId, reference);
  if (!item.ok) return refused(item, command);
  const result = await desk.redeem(
    {
      organizationId,
      memberId: member.id,
      requestedBy: command.actor.id,
      itemId: item.value.id,
      requestKey: command.idempotencyKey,
    },
    actorOfCommand(command),
  );
  if (!result.ok) return refused(result, command);
  const { redemption } = result.value;
  return textReply(
    `You redeemed “${redemption.itemName}” for ${member.displayName} (redemption #${redemption.id}); ${points(redemption.points)} of theirs are held.`,
  );
}

/**
 * `key=value` and `key="several words"` pairs, lower-case keys. A bare value may not start
 * with a quote mark: an unclosed quote is refused rather than kept in the value.
 */
export function readPairs(text: string): Map<string, string> | string {
  const pairs = new Map<string, string>();
  const pattern = /\s*([a-z-]+)=(?:"([^"]*)"|“([^”]*)”|([^\s"“”]\S*))/giy;
  let position = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    pairs.set((match[1] as string).toLowerCase(), match[2] ?? match[3] ?? match[4] ?? '');
    position = pattern.lastIndex;
  }
  const rest = text.slice(position).trim();
  return rest.length > 0
    ? `I could not read “${rest}”; write key=value, with quotes around words.`
    : pairs;
}

async function reward(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const [first = '', ...rest] = args.trim().split(/\s+/);
  // Like every other word of a command, the verb is read in any case.
  const verb = first.toLowerCase();
  const organizationId = command.actor.organizationId;
  const { currency } = await loadRewardSettings(desk.db, organizationId);
  if (verb === 'retire') {
    const itemId = parseId(rest[0]);
    if (itemId === undefined) return usage(command, 'Name the reward: hr reward retire <id>.');
    const retired = await desk.catalog.retire(organizationId, itemId, actorOfCommand(command));
    if (!retired.ok) return refused(retired, command);
    return textReply(`“${retired.value.name}” is retired; past redemptions keep it.`);
  }
  const editing = verb === 'edit';
  if (!editing && verb !== 'add') return usage(command, 'Add, edit or retire a reward.');
  const itemId = editing ? parseId(rest.shift()) : undefined;
  if (editing && itemId === undefined)
    return usage(command, 'Name the reward: hr reward edit <id> ….');
  const pairs = readPairs(rest.join(' '));
  if (typeof pairs === 'string') return refusalReply('usage', pairs);
  const fields = itemFields(pairs, currency);
  if (typeof fields === 'string') return refusalReply('invalid_item', fields);
  if (!editing) {
    if (
      fields.name === undefined ||
      fields.pointsCost === undefined ||
      fields.priceMinor === undefined
    ) {
      return usage(command, 'A new reward needs a name, a cost in points and a price.');
    }
    const created = await desk.catalog.create(
      organizationId,
      {
        ...fields,
        name: fields.name,
        pointsCost: fields.pointsCost,
        priceMinor: fields.priceMinor,
      },
      actorOfCommand(command),
    );
    if (!created.ok) return refused(created, command);
    return textReply(
      `Added to the catalog: ${catalogLine(created.value)}, priced ${formatMoney(created.value.priceMinor, currency)}.`,
    );
  }
  const edited = await desk.catalog.edit(
    organizationId,
    itemId as number,
    fields,
    actorOfCommand(command),
  );
  if (!edited.ok) return refused(edited, command);
  return textReply(
    `Changed: ${catalogLine(edited.value)}, priced ${formatMoney(edited.value.priceMinor, currency)}.`,
  );
}

const KNOWN_KEYS = new Set(['name', 'description', 'cost', 'price', 'stock', 'webhook', 'active']);

function itemFields(
  pairs: Map<string, string>,
  currency: string,
): Partial<RewardItemFields> | string {
  const unknown = [...pairs.keys()].filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0)
    return `I do not know “${unknown.join('”, “')}”; use ${[...KNOWN_KEYS].join(', ')}.`;
  const fields: { -readonly [K in keyof RewardItemFields]?: RewardItemFields[K] } = {};
  const name = pairs.get('name');
  if (name !== undefined) fields.name = name;
  const description = pairs.get('description');
  if (description !== undefined) fields.description = description;
  const cost = pairs.get('cost');
  if (cost !== undefined) {
    if (!/^\d{1,10}$/.test(cost)) return 'The cost is a whole number of points, like cost=200.';
    fields.pointsCost = Number(cost);
  }
  const price = pairs.get('price');
  if (price !== undefined) {
    const minor = parseMoney(price, currency);
    if (minor === undefined)
      return `The price is an amount in ${currency}, like price=25 or price=25.50.`;
    fields.priceMinor = minor;
  }
  const stock = pairs.get('stock');
  if (stock !== undefined) {
    if (stock === 'unlimited') fields.stock = null;
    else if (/^\d{1,10}$/.test(stock)) fields.stock = Number(stock);
    else return 'The stock is a whole number, or stock=unlimited.';
  }
  const webhook = pairs.get('webhook');
  if (webhook !== undefined) {
    if (webhook === 'none') fields.fulfilment = 'manual';
    else {
      fields.fulfilment = 'webhook';
      fields.webhookUrl = webhook;
    }
  }
  const active = pairs.get('active');
  if (active !== undefined) {
    if (!['yes', 'no'].includes(active)) return 'Say active=yes or active=no.';
    fields.active = active === 'yes';
  }
  return fields;
}

async function statement(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const organizationId = command.actor.organizationId;
  const settings = await loadRewardSettings(desk.db, organizationId);
  const month = args.trim() ? parseMonth(args) : monthOf(command.clock.now(), settings.timezone);
  if (!month) return usage(command, 'Name the month as YYYY-MM, like 2026-11.');
  const [bill, owed] = await Promise.all([
    monthlyStatement(desk.db, organizationId, month),
    liability(desk.db, organizationId),
  ]);
  const money = (minor: number) => formatMoney(minor, bill.currency);
  const lines = [
    `${bill.count} redemption${bill.count === 1 ? '' : 's'} billed, ${money(bill.totalMinor)} in all.`,
    ...bill.byItem.map((line) => `${line.name}: ${line.count}, ${money(line.totalMinor)}`),
  ];
  const groups = bill.byGroup.map(
    (line) => `${line.name}: ${line.count}, ${money(line.totalMinor)}`,
  );
  const budget =
    settings.monthlyBudgetMinor === null
      ? 'No monthly budget.'
      : `Monthly budget: ${money(settings.monthlyBudgetMinor)}.`;
  const outstanding = `${points(owed.outstandingPoints)} outstanding, worth ${formatMoney(owed.valueMinor, owed.currency)}.`;
  return {
    ...textReply([`Statement for ${month}:`, ...lines, budget, outstanding].join('\n')),
    blocks: [
      { kind: 'heading', text: `Rewards statement, ${month}` },
      { kind: 'list', items: lines },
      ...(groups.length > 0
        ? [
            { kind: 'text' as const, text: 'By group:' },
            { kind: 'list' as const, items: groups },
          ]
        : []),
      { kind: 'context', text: `${budget} ${outstanding}` },
    ],
  };
}

async function settings(desk: RewardDesk, command: Command, args: string): Promise<Reply> {
  const organizationId = command.actor.organizationId;
  const current = await loadRewardSettings(desk.db, organizationId);
  const pairs = readPairs(args);
  if (typeof pairs === 'string') return refusalReply('usage', pairs);
  const change: { -readonly [K in keyof RewardSettingsChange]: RewardSettingsChange[K] } = {};
  for (const [key, value] of pairs) {
    if (key === 'rate') {
      const milli = parseRate(value, current.currency);
      if (milli === undefined) {
        return refusalReply(
          'invalid_setting',
          `The rate is the money one point is worth in ${current.currency}, like rate=0.01.`,
        );
      }
      change.pointValueMilli = milli;
    } else if (key === 'budget') {
      if (value === 'none') change.monthlyBudgetMinor = null;
      else {
        const minor = parseMoney(value, current.currency);
        if (minor === undefined)
          return refusalReply(
            'invalid_setting',
            `The budget is an amount in ${current.currency}, like budget=500, or budget=none.`,
          );
        change.monthlyBudgetMinor = minor;
      }
    } else if (key === 'hold-days') {
      if (!/^\d{1,3}$/.test(value))
        return refusalReply(
          'invalid_setting',
          'Holds last a whole number of days, like hold-days=14.',
        );
      change.holdHours = Number(value) * 24;
    } else {
      return refusalReply(
        'invalid_setting',
        `I do not know the setting “${key}”; use rate, budget or hold-days.`,
      );
    }
  }
  const changed = await changeRewardSettings(
    desk.db,
    organizationId,
    change,
    actorOfCommand(command),
  );
  if (!changed.ok) return refused(changed, command);
  const now = changed.value;
  return textReply(
    `Rewards settings: a point is worth ${formatRate(now.pointValueMilli, now.currency)}; holds last ${Number.isInteger(now.holdHours / 24) ? days(now.holdHours / 24) : counted(now.holdHours, 'hour')}; ${now.monthlyBudgetMinor === null ? 'no monthly budget' : `a monthly budget of ${formatMoney(now.monthlyBudgetMinor, now.currency)}`}.`,
  );
}

async function memberNames(desk: RewardDesk, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await desk.db
    .selectFrom('members')
    .select(['id', 'display_name'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.display_name]));
}
