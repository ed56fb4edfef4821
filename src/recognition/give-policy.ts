import { isPermitted } from '../core/permission-rule.ts';
import { type Refusal, refuse } from '../core/result.ts';
import type { Member } from '../directory/members.ts';
import type { RecognitionSettings } from './settings.ts';
import { counted, points } from './wording.ts';

/** Every reason a give is refused before any point moves. */
export type GiveRefusalCode =
  | 'usage'
  | 'unknown_recipient'
  /** A recipient from outside the organization (Slack Connect, another tenant). */
  | 'outsider'
  | 'not_allowed_to_give'
  | 'not_allowed_to_receive'
  | 'too_many_recipients'
  | 'self_kudos'
  | 'recipient_is_bot'
  | 'recipient_deactivated'
  | 'guest_excluded'
  | 'amount_too_small'
  | 'amount_too_large'
  | 'value_required'
  | 'reason_too_short'
  | 'reason_too_long'
  | 'daily_pair_cap'
  | 'insufficient_allowance';

export type GiveRefusal = Refusal<GiveRefusalCode>;

/** A member with the groups they belong to, which permission rules may name. */
export interface Participant {
  readonly member: Member;
  readonly groupIds: readonly number[];
}

export interface ProposedGive {
  readonly giver: Participant;
  readonly recipients: readonly Participant[];
  readonly amountEach: number;
  readonly reason: string;
  /** The company values the reason names (already matched to the organization's list). */
  readonly values: readonly string[];
}

/**
 * Whom a refused person can ask: the admins by name (a few of them), since only they can
 * change who takes part.
 */
export function whoToAsk(adminNames: readonly string[]): string {
  const [first, second, third] = adminNames;
  if (first === undefined) return 'an admin';
  if (second === undefined) return `${first} (admin)`;
  if (third === undefined) return `${first} or ${second} (admins)`;
  if (adminNames.length === 3) return `${first}, ${second} or ${third} (admins)`;
  return `${first}, ${second}, ${third} or another admin`;
}

const subject = ({ member, groupIds }: Participant) => ({
  memberId: member.id,
  roles: member.roles,
  groupIds,
});

function checkGiver(settings: RecognitionSettings, giver: Participant): GiveRefusal | undefined {
  const { member } = giver;
  if (member.isBot) {
    return refuse(
      'not_allowed_to_give',
      'Bots cannot give kudos: kudos are from people, out of their own allowance.',
    );
  }
  if (member.status !== 'active') {
    return refuse(
      'not_allowed_to_give',
      'Your account is not active here, so you cannot give kudos.',
    );
  }
  if (member.isGuest && !settings.guestsMayParticipate) {
    return refuse(
      'guest_excluded',
      `Guests cannot give kudos here; ask ${whoToAsk(settings.adminNames)} if that should change.`,
    );
  }
  if (!isPermitted(settings.whoMayGive, subject(giver))) {
    return refuse(
      'not_allowed_to_give',
      settings.whoMayGive.kind === 'only'
        ? `Giving kudos is limited to some people here, and you are not among them; ask ${whoToAsk(settings.adminNames)} if that seems wrong.`
        : `You have been left out of giving kudos here; ask ${whoToAsk(settings.adminNames)} if that seems wrong.`,
    );
  }
  return undefined;
}

function checkRecipient(
  settings: RecognitionSettings,
  recipient: Participant,
): GiveRefusal | undefined {
  const { member } = recipient;
  const name = member.displayName;
  if (member.isBot) return refuse('recipient_is_bot', `${name} is a bot; kudos are for people.`);
  if (member.status !== 'active') {
    return refuse(
      'recipient_deactivated',
      `${name} is no longer active here, so they cannot receive kudos.`,
    );
  }
  if (member.isGuest && !settings.guestsMayParticipate) {
    return refuse(
      'guest_excluded',
      `${name} is a guest, and guests cannot receive kudos here; ask ${whoToAsk(settings.adminNames)} if that should change.`,
    );
  }
  if (!isPermitted(settings.whoMayReceive, subject(recipient))) {
    return refuse(
      'not_allowed_to_receive',
      settings.whoMayReceive.kind === 'only'
        ? `Receiving kudos is limited to some people here, and ${name} is not among them; ask ${whoToAsk(settings.adminNames)} if that seems wrong.`
        : `${name} has been left out of receiving kudos here; ask ${whoToAsk(settings.adminNames)} if that seems wrong.`,
    );
  }
  return undefined;
}

/**
 * The organization's rules for a give, in the order a person would want to hear them.
 * Pure: the allowance and the daily pair cap are checked where the ledger is locked.
 */
export function checkGivePolicy(
  settings: RecognitionSettings,
  give: ProposedGive,
): GiveRefusal | undefined {
  const giverRefusal = checkGiver(settings, give.giver);
  if (giverRefusal) return giverRefusal;
  if (give.recipients.some(({ member }) => member.id === give.giver.member.id)) {
    const others =
      give.recipients.length > 1 ? ' Nobody was credited; send it again without yourself.' : '';
    return refuse('self_kudos', `You cannot give kudos to yourself.${others}`);
  }
  if (give.recipients.length > settings.maxRecipients) {
    return refuse(
      'too_many_recipients',
      `You can recognize at most ${counted(settings.maxRecipients, 'person', 'people')} at once; this names ${give.recipients.length}.`,
    );
  }
  for (const recipient of give.recipients) {
    const refusal = checkRecipient(settings, recipient);
    if (refusal) return refusal;
  }
  if (give.amountEach < settings.minAmount) {
    return refuse('amount_too_small', `Kudos are at least ${points(settings.minAmount)} each.`);
  }
  if (give.amountEach > settings.maxAmount) {
    return refuse(
      'amount_too_large',
      `Kudos are at most ${points(settings.maxAmount)} each; ${give.amountEach} is more than that.`,
    );
  }
  if (settings.valueRequired && give.values.length === 0) {
    const list = settings.values.map((value) => `#${value}`).join(', ');
    return refuse(
      'value_required',
      list
        ? `Name a company value with a hashtag: ${list}.`
        : 'Name a company value with a hashtag, like #teamwork.',
    );
  }
  const reasonLength = [...give.reason.trim()].length;
  if (reasonLength < settings.minReasonLength) {
    return refuse(
      'reason_too_short',
      `Say what the kudos is for, in at least ${counted(settings.minReasonLength, 'character')}.`,
    );
  }
  if (reasonLength > settings.maxReasonLength) {
    const most = settings.maxReasonLength.toLocaleString('en');
    return refuse(
      'reason_too_long',
      `A reason is at most ${counted(settings.maxReasonLength, 'character', 'characters', most)}; this one is ${reasonLength.toLocaleString('en')}.`,
    );
  }
  return undefined;
}

/** The hashtags of a message that are the organization's values; all of them when it has no list. */
export function matchCompanyValues(
  settings: RecognitionSettings,
  hashtags: readonly string[],
): string[] {
  if (settings.values.length === 0) return [...hashtags];
  return hashtags.filter((tag) => settings.values.includes(tag));
}
