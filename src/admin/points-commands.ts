import type { Command } from '../core/command.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import {
  type GiveRequest,
  normalizeCommandText,
  parseNamesFirst,
} from '../recognition/grammar/give-grammar.ts';
import { listNames, outsidersSentence, points } from '../recognition/wording.ts';
import { adjustPoints } from './adjustments.ts';
import { actorOfCommand } from './admin-actor.ts';
import type { AdminVerb } from './admin-commands.ts';
import type { AdminServices } from './admin-services.ts';
import { refuseUnlessAdmin } from './chat-guard.ts';
import { reverseRecognition } from './recognition-reversals.ts';

/** `+50`, `-20` (a typographic minus or dash too), standing alone. */
const SIGNED_AMOUNT = /(?<=^|\s)([+\-\u2212\u2013])(\d{1,12})(?=\s|$)/u;
const LEADING_FOR = /^for(?=[\s:]|$):?\s*/iu;

/** What `adjust @someone ±N reason` says, or the sentence saying how to write it. */
export function parseAdjust(
  args: string,
  command: Pick<Command, 'mentions' | 'commandName'>,
): { who: GiveRequest; amount: number; reason: string } | string {
  const text = normalizeCommandText(args);
  const example = `${command.commandName} admin adjust @ana +50 for the offsite, or -20 to deduct`;
  const signed = SIGNED_AMOUNT.exec(text);
  if (!signed) return `Name one person and the points, + to grant or - to deduct: ${example}.`;
  const who = parseNamesFirst(text.slice(0, signed.index), command.mentions);
  if ('ok' in who || who.recipients.length !== 1 || who.reason !== '' || who.amount !== null) {
    return `Start with the one person whose points change: ${example}.`;
  }
  const size = Number(signed[2]);
  const amount = signed[1] === '+' ? size : -size;
  const reason = text
    .slice(signed.index + signed[0].length)
    .trim()
    .replace(LEADING_FOR, '')
    .trim();
  if (reason.length === 0) return `Say why the points change: ${example}.`;
  return { who, amount, reason };
}

async function adjust(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const parsed = parseAdjust(args, command);
  const deducting =
    typeof parsed === 'string' ? /(?<=^|\s)[-\u2212\u2013]\d/u.test(args) : parsed.amount < 0;
  // Checked before anyone is looked up: resolving a mention may make a member on first
  // sight, and a refused command must change nothing.
  const denied = await refuseUnlessAdmin(services, command, 'grant or deduct points', {
    action: deducting ? 'adjustment.deduct' : 'adjustment.grant',
    wanted: { text: args },
  });
  if (denied) return denied;
  if (typeof parsed === 'string') return textReply(parsed, { outcome: 'usage', code: 'usage' });
  const organizationId = command.actor.organizationId;
  const { who } = parsed;
  const resolved = await command.mentionResolver.resolve(organizationId, who.recipients);
  if (resolved.outsiders?.length) {
    return refusalReply('outsider', outsidersSentence(resolved.outsiders));
  }
  const [member, ...more] = resolved.members;
  if (!member || more.length > 0 || resolved.unknown.length > 0) {
    return refusalReply(
      'unknown_member',
      resolved.unknown.length > 0
        ? `I do not know who ${listNames(resolved.unknown)} is.`
        : 'That names several people; adjust one person at a time.',
    );
  }
  const result = await adjustPoints(services, actorOfCommand(command), {
    memberId: member.id,
    amount: parsed.amount,
    reason: parsed.reason,
    idempotencyKey: command.idempotencyKey,
  });
  if (!result.ok) return refusalReply(result.code, result.message);
  const { amount, reason } = result.value;
  const balance = await earnedOf(services, organizationId, member.id);
  return textReply(
    amount > 0
      ? `You gave ${member.displayName} ${points(amount)} (${reason}). They have ${points(balance)} now.`
      : `You deducted ${points(-amount)} from ${member.displayName} (${reason}). They have ${points(balance)} now.`,
  );
}

async function earnedOf(services: AdminServices, organizationId: number, memberId: number) {
  const accounts = await services.ledger.memberAccounts(organizationId, memberId);
  const balances = await services.ledger.balances([accounts.earned.id]);
  return balances.get(accounts.earned.id)?.available ?? 0;
}

async function reverse(services: AdminServices, command: Command, args: string): Promise<Reply> {
  const match = /^#?(\d{1,15})(?:\s+([\s\S]*))?$/u.exec(normalizeCommandText(args));
  const reason = match?.[2]?.trim().replace(LEADING_FOR, '').trim() ?? '';
  if (!match || reason.length === 0) {
    const denied = await refuseUnlessAdmin(services, command, 'reverse recognitions', {
      action: 'recognition.reverse',
      wanted: { text: args },
    });
    return (
      denied ??
      textReply(
        `Name the recognition and say why: ${command.commandName} admin reverse 42 given by mistake.`,
        { outcome: 'usage', code: 'usage' },
      )
    );
  }
  const result = await reverseRecognition(services, actorOfCommand(command), {
    recognitionId: Number(match[1]),
    reason,
    idempotencyKey: command.idempotencyKey,
  });
  if (!result.ok) return refusalReply(result.code, result.message);
  const reversal = result.value;
  const taken = listNames(
    reversal.recipients.map((recipient) => `${points(recipient.amount)} from ${recipient.name}`),
  );
  const allowance =
    reversal.allowanceReturned > 0
      ? ` ${reversal.giverName} has ${points(reversal.allowanceReturned)} of allowance back.`
      : ` ${reversal.giverName}'s allowance is not given back: it was given in an earlier period.`;
  return textReply(
    `Recognition #${reversal.recognitionId} is reversed (${reversal.reason}): ${taken} went back.${allowance}`,
  );
}

export const ADJUST_VERB: AdminVerb = {
  name: 'adjust',
  usage: '@someone +50|-20 <reason>',
  summary: 'grant or deduct points, with a reason',
  handle: adjust,
};

export const REVERSE_VERB: AdminVerb = {
  name: 'reverse',
  usage: '<recognition id> <reason>',
  summary: 'take back a recognition: its points return, the giver’s allowance too',
  handle: reverse,
};
