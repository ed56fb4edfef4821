import type { Member } from '../directory/members.ts';
import type { GiveRequest } from './grammar/give-grammar.ts';
import type { RecognitionSettings } from './settings.ts';
import { listNames, points } from './wording.ts';

/**
 * What a give's answer adds to "You gave …", so the giver knows how the command was read
 * where it could have been read otherwise. Each is a whole sentence.
 */
export type GiveNote = string;

/** The giver left out of a group they thanked (kudos never go to oneself). */
export const LEFT_OUT_OF_GROUP: GiveNote =
  'You are in a group you thanked, so you were left out: kudos cannot go to yourself.';

/**
 * The recipients without the giver when the giver came in only through a group they named
 * (`@design` when they are in it), with the note that says so; undefined when the giver
 * is not among them, or named themselves (that is refused: they meant it).
 */
export function withoutGiverFromGroup(
  giver: Member,
  recipients: readonly Member[],
  throughGroupsOnly: readonly number[] | undefined,
): Member[] | undefined {
  if (!recipients.some((member) => member.id === giver.id)) return undefined;
  if (!throughGroupsOnly?.includes(giver.id)) return undefined;
  return recipients.filter((member) => member.id !== giver.id);
}

/** The hashtags that name no company value, when the organization has a list of values. */
export function uncountedHashtagsNote(
  settings: RecognitionSettings,
  hashtags: readonly string[],
  counted: readonly string[],
): GiveNote | undefined {
  if (settings.values.length === 0) return undefined;
  const uncounted = hashtags.filter((tag) => !counted.includes(tag)).map((tag) => `#${tag}`);
  if (uncounted.length === 0) return undefined;
  const [verb, noun, pronoun] =
    uncounted.length === 1
      ? ['is', 'a company value', 'it was']
      : ['are', 'company values', 'they were'];
  const list = settings.values.map((value) => `#${value}`).join(', ');
  return `${listNames(uncounted)} ${verb} not ${noun} here, so ${pronoun} kept in the text but not counted as ${uncounted.length === 1 ? 'one' : 'values'} (the values: ${list}).`;
}

/**
 * When the default amount moved and the reason holds a number, the rule that was applied:
 * a number in the reason is never read as the amount.
 */
export function defaultAmountNote(
  settings: RecognitionSettings,
  request: GiveRequest,
): GiveNote | undefined {
  if (request.amount !== null || !/\p{Nd}/u.test(request.reason)) return undefined;
  return `${points(settings.defaultAmount)} is the default amount: a number in the reason is not read as the amount; to give another, put it right after the names.`;
}
