import { refuse } from '../../core/result.ts';
import {
  type AmountRange,
  type GiveParseRefusal,
  type GiveRequest,
  giveRequest,
  LEADING_FOR,
  type MentionEntity,
  readGiveHead,
} from './give-grammar.ts';
import { strayAmount, strayAmountRefusal } from './stray-amount.ts';

const END = String.raw`(?=[\s,;:!.\u2013\u2014-]|$)[\s,;:!.\u2013\u2014-]*`;
/**
 * A greeting or a thank-you that opens a sentence; it is dropped from the reason
 * (`thanks @ana for the help` is for "the help").
 */
const THANKS = new RegExp(
  String.raw`^(?:(?:many|big|huge|special|a\s+big|a\s+huge)\s+thanks|thanks|thank\s+(?:you|u)|thanx|thnx|thx|ty|tysm|kudos|shout[-\s]?outs?|props|cheers|congrats|congratulations|bravo|hats\s+off|hey|hi|hello)(?:\s+(?:so\s+much|a\s+lot|again))?(?:\s+to(?=\s))?${END}`,
  'iu',
);
/** Praise that opens a sentence; it is the reason, kept (`Awesome work @ana`). */
const PRAISE = new RegExp(
  String.raw`^(?:awesome|great|amazing|excellent|nice|brilliant|fantastic|superb|outstanding|wonderful|incredible|stellar|impressive|well\s+done|good\s+(?:job|work|call|catch|stuff)|way\s+to\s+go|much\s+appreciated)${END}`,
  'iu',
);
/** Where a name starts: a Slack user or group, a Teams mention, or `@name` (not an e-mail). */
const MENTION_START = /<@[UW][A-Z0-9]|<!subteam\^|<at>|(?<![\p{L}\p{N}_.])@(?=\S)/u;
// A colon that opens an emoji shortcode (`:tada:`) is kept.
const EDGE_PUNCTUATION = /^(?:[\s,;\u2013\u2014-]|:(?![\w+'-]+:))+|[\s,;:\u2013\u2014-]+$/gu;

/**
 * Reads a thank-you sentence: text that opens with a thank-you, a greeting or praise
 * (`thanks @ana for the help`, `Hey @ana 1 you're great`, `Awesome work @ana`). The names
 * are the first run of mentions, wherever it stands; the amount only a number right after
 * them; the rest is the reason (later mentions included, as text). A number that could
 * be meant as the amount anywhere else is refused. Undefined when the text is no such
 * sentence, for the command form to read.
 */
export function readThankYouSentence(
  input: string,
  mentions: readonly MentionEntity[],
  { range, commandName }: { range: AmountRange | undefined; commandName: string },
): GiveRequest | GiveParseRefusal | undefined {
  const thanks = THANKS.exec(input);
  const opening = thanks ?? PRAISE.exec(input);
  if (!opening) return undefined;
  const at = input.slice(opening[0].length).search(MENTION_START);
  const nameWho = refuse(
    'usage',
    `Say who you are thanking with a mention: ${commandName} thanks @ana for the help.`,
  );
  if (at < 0) return nameWho;
  const namesAt = opening[0].length + at;
  const head = readGiveHead(input.slice(namesAt), mentions, range);
  if ('ok' in head) return head;
  if (head.recipients.length === 0) return nameWho;
  const before = input
    .slice(thanks ? opening[0].length : 0, namesAt)
    .replace(EDGE_PUNCTUATION, '')
    .replace(LEADING_FOR, '');
  const after = input.slice(namesAt + head.position).trim();
  const example = `${commandName} thanks @ana 5 for …`;
  // Before the names no number is the amount: one that could be meant as it is refused.
  const strayBefore = strayAmount(before);
  if (strayBefore) return strayAmountRefusal(strayBefore, example);
  if (head.amount === null && !LEADING_FOR.test(after)) {
    const strayAfter = strayAmount(after);
    if (strayAfter) return strayAmountRefusal(strayAfter, example);
  }
  // "for" is dropped where it opens the reason, kept where it goes on from praise before.
  const rest = before
    ? after
    : after.replace(/^(?:[!?.,;]|:(?![\w+'-]+:))+\s*/u, '').replace(LEADING_FOR, '');
  const joined =
    before && rest ? `${before}${/^[!?.,;:]/u.test(rest) ? '' : ' '}${rest}` : before || rest;
  return giveRequest(head.recipients, head.amount, joined);
}
