import { type Refusal, refuse } from '../../core/result.ts';
import { strayAmount, strayAmountRefusal } from './stray-amount.ts';
import { readThankYouSentence } from './thank-you-sentence.ts';
import { reasonAsTyped } from './typed-reason.ts';

/** Who a kudos names, as written on the platform; resolved to members by the adapter. */
export type RecipientRef =
  | { readonly kind: 'slack_user'; readonly userId: string }
  | { readonly kind: 'slack_group'; readonly groupId: string; readonly label: string | null }
  | { readonly kind: 'teams_user'; readonly userId: string; readonly name: string }
  | { readonly kind: 'name'; readonly name: string };

/** A Teams mention entity: the `<at>…</at>` text and the user it names. */
export interface MentionEntity {
  readonly text: string;
  readonly userId: string;
  readonly name: string;
}

export interface GiveRequest {
  readonly recipients: readonly RecipientRef[];
  /** Points per recipient, or null for the organization's default. */
  readonly amount: number | null;
  /** The message, hashtags included, with a leading "for" dropped. */
  readonly reason: string;
  /** Company values named by hashtags, lower-cased, each once. */
  readonly values: readonly string[];
  /**
   * Asked for with a leading `private`: only the recipients are told (in a direct
   * message), nothing is celebrated, and public views leave it out.
   */
  readonly private: boolean;
}

export type GiveParseRefusal = Refusal<'usage'>;

const SLACK_USER = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/;
const SLACK_GROUP = /^<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>/;
const TEAMS_MENTION = /^<at>([^<]*)<\/at>/;
const QUOTED_NAME = /^@"([^"]+)"/;
const NAME = /^@([^\s,;:!?()[\]{}<>"&]+)/u;
const OPEN_BRACKET = /^[([{]/;
/** A bracket that opens around a name, after other names: `{@a} {@b} 1`. */
const BRACKETED_NAME = /^[([{]\s*(?:<@[UW]|<!subteam\^|<at>|@)/;
const CLOSING: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
/** A first word that is neither a name nor an amount: an unknown subcommand, likely. */
const FIRST_WORD = /^[\p{L}][\p{L}\p{M}\p{N}_-]*(?=\s|$)/u;
const ANY_RECIPIENT = /<@[UW]|<!subteam\^|<at>|@\S/u;
const AMOUNT = /^(?:x\s?(\d+)|\+?(\d+)(?:\.(\d+))?(?:\s*(?:points?|pts?)\b)?)(?=$|[\s,;:!.])/iu;
const NEGATIVE_AMOUNT = /^-\s?\d+/;
const GROUPED_AMOUNT = /^\+?\d{1,3}(?:,\d{3})+(?=$|[\s;:!.])/;
// A colon that opens an emoji shortcode (`:tada:`) belongs to the reason, not between names.
const SEPARATOR = /^(?:\s+|[,;\u2013\u2014]|:(?![\w+'-]+:)|-(?=\s)|&(?:amp;)?|and(?=\s))/iu;
/**
 * What looks like an amount or an operator where an amount may stand, once the valid
 * amounts (`10`, `+10`, `x10`, `10 pts`) have been read: anything starting with a digit of
 * any script (`1e9`, `0x10`, `10x`, `１０`, `٣`), after signs (`+`, `-`, `±`, `−`), dashes, an
 * `x`, or stray quotes and brackets (`+ 5`, `" 1`, `(5)`); or signs and dashes alone or
 * repeated (`+`, `---`, `+++-`). Read as reason text, it would let the default move while
 * the writer meant a number: it is refused instead.
 */
const AMOUNT_LOOKING =
  /^(?:["'`*_=~()[\]{}]+\s*)?(?:[+\-\u00B1\u2212\u2013\u2014]+\s*|x\s?)?\p{Nd}\S*|^[+\-\u00B1\u2212\u2013\u2014]+(?=\s|$)/iu;
const TRAILING_DASH = /[-\u2013\u2014]$/u;
export const LEADING_FOR = /^for(?=[\s:]|$):?\s*/iu;
/**
 * The keyword that makes a kudos private, only as the first word: `private` anywhere
 * else is part of the reason (`@ana 5 for the private beta`) and changes nothing.
 */
const LEADING_PRIVATE = /^private(?=\s|$)\s*/iu;
const HASHTAG = /(?<![\p{L}\p{N}_&<])#([\p{L}\p{M}\p{N}_-]+)/gu;

/** Normalizes what phones and chat clients put into text: curly quotes, odd spaces. */
export function normalizeCommandText(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u00A0\u2000-\u200B\u202F\u205F\u3000\uFEFF]/g, ' ')
    .trim();
}

/** The company values a message names with hashtags: lower-cased, each once, in order. */
export function hashtagValues(message: string): string[] {
  const values = new Set<string>();
  for (const match of message.matchAll(HASHTAG)) {
    const tag = (match[1] as string).replace(/[-_]+$/, '').toLowerCase();
    if (tag.length > 0) values.add(tag);
  }
  return [...values];
}

/** What makes two references the same recipient (names compare case-insensitively). */
export function recipientKey(ref: RecipientRef): string {
  switch (ref.kind) {
    case 'slack_user':
      return `su:${ref.userId}`;
    case 'slack_group':
      return `sg:${ref.groupId}`;
    case 'teams_user':
      return `tu:${ref.userId}`;
    case 'name':
      return `n:${ref.name.toLowerCase()}`;
  }
}

type Token =
  | { kind: 'recipient'; ref: RecipientRef }
  | { kind: 'amount'; value: number }
  | { kind: 'separator' }
  | { kind: 'refusal'; refusal: GiveParseRefusal }
  /** A number that cannot be an amount: refused where an amount belongs, else reason text. */
  | { kind: 'bad_amount'; refusal: GiveParseRefusal };

/** Reads one recipient, amount or separator; a Teams mention used up is taken out of `mentions`. */
function readToken(rest: string, mentions: MentionEntity[]): [Token, number] | undefined {
  let match = SLACK_USER.exec(rest);
  if (match)
    return [
      { kind: 'recipient', ref: { kind: 'slack_user', userId: match[1] as string } },
      match[0].length,
    ];
  match = SLACK_GROUP.exec(rest);
  if (match) {
    const ref = {
      kind: 'slack_group' as const,
      groupId: match[1] as string,
      label: match[2] || null,
    };
    return [{ kind: 'recipient', ref }, match[0].length];
  }
  match = TEAMS_MENTION.exec(rest);
  if (match) {
    // The text was normalized; so must the entities' text be, to match. Entities are taken
    // in order, so two people both shown as "Ana" each get their own mention.
    const index = mentions.findIndex(
      (mention) => normalizeCommandText(mention.text) === match?.[0],
    );
    const entity = mentions[index];
    if (index >= 0) mentions.splice(index, 1);
    if (!entity) {
      const refusal = refuse(
        'usage',
        `I could not tell who ${match[1]?.trim() || 'that mention'} is; pick them from the mention list.`,
      );
      return [{ kind: 'refusal', refusal }, match[0].length];
    }
    return [
      { kind: 'recipient', ref: { kind: 'teams_user', userId: entity.userId, name: entity.name } },
      match[0].length,
    ];
  }
  match = QUOTED_NAME.exec(rest) ?? NAME.exec(rest);
  if (match) {
    const name = (match[1] as string).replace(/\.+$/, '').trim();
    if (name.length > 0)
      return [{ kind: 'recipient', ref: { kind: 'name', name } }, match[0].length];
    // `@.` where names stand names nobody: read as reason text, it let the default move
    // past an amount-like word after it (`<@U1> @. 5x`).
    const refusal = refuse(
      'usage',
      `'${match[0]}' is not anyone's name; name people with a mention or as @ana.`,
    );
    return [{ kind: 'refusal', refusal }, match[0].length];
  }
  match = NEGATIVE_AMOUNT.exec(rest);
  if (match) {
    return [
      {
        kind: 'bad_amount',
        refusal: refuse('usage', 'Kudos add points; the amount cannot be negative.'),
      },
      match[0].length,
    ];
  }
  match = GROUPED_AMOUNT.exec(rest);
  if (match) {
    return [
      {
        kind: 'bad_amount',
        refusal: refuse('usage', 'Write the amount without separators, like 1000.'),
      },
      match[0].length,
    ];
  }
  match = AMOUNT.exec(rest);
  if (match) {
    if (match[3] !== undefined) {
      return [
        { kind: 'bad_amount', refusal: refuse('usage', 'Points are whole numbers, like 10.') },
        match[0].length,
      ];
    }
    const digits = ((match[1] ?? match[2]) as string).replace(/^0+(?=\d)/, '');
    const value = Number(digits);
    if (!Number.isSafeInteger(value) || digits.length > 12) {
      return [
        {
          kind: 'bad_amount',
          refusal: refuse('usage', `${digits} is more points than anyone can give.`),
        },
        match[0].length,
      ];
    }
    return [{ kind: 'amount', value }, match[0].length];
  }
  match = SEPARATOR.exec(rest);
  if (match) return [{ kind: 'separator' }, match[0].length];
  return undefined;
}

/** The organization's fewest and most points per kudos, for the sentence of a refusal. */
export interface AmountRange {
  readonly min: number;
  readonly max: number;
}

const notAnAmountTokens = new WeakMap<GiveParseRefusal, string>();

/** The refusal of something that looks like an amount but is none: it names the token. */
export function notAnAmount(token: string, range?: AmountRange): GiveParseRefusal {
  const shown = [...token].length > 20 ? `${[...token].slice(0, 19).join('')}…` : token;
  const use = range
    ? `use a whole number from ${range.min} to ${range.max}`
    : 'use a whole number, like 10';
  const refusal = refuse('usage', `'${shown}' is not a number of points; ${use}.`);
  notAnAmountTokens.set(refusal, token);
  return refusal;
}

/**
 * The token a refusal of {@link notAnAmount} named, if it is one: a caller that parsed
 * without the organization's range reads the range only then, to say it.
 */
export function notAnAmountToken(refusal: GiveParseRefusal): string | undefined {
  return notAnAmountTokens.get(refusal);
}

export interface ParseGiveOptions {
  /** The organization's range of points per kudos, named when an amount is refused. */
  readonly range?: AmountRange;
  /** The command as typed (`/kudos`), named when the first word is no command or person. */
  readonly commandName?: string;
}

/** What the names and the amount at the head of a command read as, and where the rest starts. */
export interface GiveHead {
  readonly recipients: readonly RecipientRef[];
  readonly amount: number | null;
  /** Where the text after the names and the amount starts. */
  readonly position: number;
}

/**
 * Reads the names and at most one amount from the start of `input` (normalized): the
 * amount before or after the names, names optionally grouped in brackets (`{@a @b} 1`,
 * `{@a} {@b} 1`). Stops at the first word that is neither; refuses what looks like an
 * amount where one may stand.
 */
export function readGiveHead(
  input: string,
  mentions: readonly MentionEntity[],
  range: AmountRange | undefined,
): GiveHead | GiveParseRefusal {
  const recipients = new Map<string, RecipientRef>();
  let amount: number | null = null;
  let position = 0;
  let lastWasAmount = false;
  const unusedMentions = [...mentions];
  // Names may be grouped in brackets: `{@a @b} 1`, `( @a, @b ) 1`, `{@a} {@b} 1`.
  let closing: string | null = null;
  let namesInBrackets = 0;
  while (position < input.length) {
    const rest = input.slice(position);
    const mayOpen =
      closing === null &&
      (recipients.size === 0
        ? OPEN_BRACKET.test(rest)
        : !lastWasAmount && BRACKETED_NAME.test(rest));
    if (mayOpen) {
      closing = CLOSING[rest[0] as string] as string;
      position += 1;
      continue;
    }
    if (closing !== null && rest.startsWith(closing)) {
      if (namesInBrackets === 0) {
        return refuse('usage', `Put names between the brackets, or leave the brackets out.`);
      }
      closing = null;
      namesInBrackets = 0;
      position += 1;
      continue;
    }
    const token = readToken(rest, unusedMentions);
    if (!token) {
      // Where an amount may still stand, what looks like one is never taken as reason text.
      const looking = amount === null ? AMOUNT_LOOKING.exec(rest) : null;
      if (looking) return notAnAmount(looking[0], range);
      break;
    }
    const [read, length] = token;
    if (read.kind === 'refusal') return read.refusal;
    if (read.kind === 'amount' || read.kind === 'bad_amount') {
      // A second number belongs to the reason ("@ana 10 2.5 hours of pairing").
      if (amount !== null) break;
      if (read.kind === 'bad_amount') return read.refusal;
      amount = read.value;
      lastWasAmount = true;
    } else if (read.kind === 'recipient') {
      // Recipients come before or after the amount, not on both sides of it.
      if (amount !== null && recipients.size > 0 && lastWasAmount) break;
      if (closing !== null) namesInBrackets += 1;
      const key = recipientKey(read.ref);
      if (!recipients.has(key)) recipients.set(key, read.ref);
      lastWasAmount = false;
    }
    position += length;
  }
  // A dash ending the text (`<@U1>—`) is an operator with nothing to say the amount.
  if (amount === null && position >= input.length && TRAILING_DASH.test(input)) {
    return notAnAmount(input.slice(-1), range);
  }
  if (closing !== null) return unclosedBrackets(closing, namesInBrackets);
  return { recipients: [...recipients.values()], amount, position };
}

function unclosedBrackets(closing: string, namesInBrackets: number): GiveParseRefusal {
  return refuse(
    'usage',
    namesInBrackets > 0
      ? `Close the brackets around the names with '${closing}', or leave the brackets out.`
      : `Put names between the brackets, or leave the brackets out.`,
  );
}

/**
 * Parses a give, private when it starts with `private`: a thank-you sentence (`thanks @ana for the help`), or the command form
 * (recipients: Slack users and user groups, Teams mentions, `@name`; an optional amount
 * before or after them; the reason). A number outside the amount's place that could be
 * meant as the amount is refused, not passed over while the default moves. Never throws;
 * anything it cannot read is a `usage` refusal with a sentence naming the problem.
 */
export function parseGive(
  text: string,
  mentions: readonly MentionEntity[] = [],
  { range, commandName = '/kudos' }: ParseGiveOptions = {},
): GiveRequest | GiveParseRefusal {
  const input = normalizeCommandText(text);
  const keyword = LEADING_PRIVATE.exec(input);
  if (!keyword) return parseGiveBody(input, mentions, range, commandName);
  const rest = input.slice(keyword[0].length);
  if (rest === '') {
    return refuse(
      'usage',
      `Say who the private kudos is for: ${commandName} private @ana 10 for …`,
    );
  }
  const parsed = parseGiveBody(rest, mentions, range, commandName);
  return 'ok' in parsed ? parsed : { ...parsed, private: true };
}

/** A give after its keywords: a thank-you sentence or the command form; public so far. */
function parseGiveBody(
  input: string,
  mentions: readonly MentionEntity[],
  range: AmountRange | undefined,
  commandName: string,
): GiveRequest | GiveParseRefusal {
  const sentence = readThankYouSentence(input, mentions, { range, commandName });
  if (sentence) return sentence;
  const read = readNamesFirst(input, mentions, range, commandName);
  if ('ok' in read) return read;
  const { head, rest } = read;
  if (head.amount === null && !LEADING_FOR.test(rest)) {
    const stray = strayAmount(rest);
    if (stray) return strayAmountRefusal(stray, `${commandName} @ana 10 for …`);
  }
  return giveRequest(head.recipients, head.amount, rest.replace(LEADING_FOR, ''));
}

/**
 * The command form alone, as it was read before thank-you sentences: names, an optional
 * amount, and the rest as text, numbers and all. For commands that borrow the give's way of
 * naming people and read the rest themselves (`admin roles @ana +admin`, `hr redeem @ana
 * Team lunch 2`), where a number in the rest is theirs, not an amount.
 */
export function parseNamesFirst(
  text: string,
  mentions: readonly MentionEntity[] = [],
): GiveRequest | GiveParseRefusal {
  const read = readNamesFirst(normalizeCommandText(text), mentions, undefined, '/kudos');
  if ('ok' in read) return read;
  return giveRequest(read.head.recipients, read.head.amount, read.rest.replace(LEADING_FOR, ''));
}

function readNamesFirst(
  input: string,
  mentions: readonly MentionEntity[],
  range: AmountRange | undefined,
  commandName: string,
): { head: GiveHead; rest: string } | GiveParseRefusal {
  const head = readGiveHead(input, mentions, range);
  if ('ok' in head) return head;
  if (head.recipients.length === 0) {
    return noRecipient(input, head.position, head.amount, commandName);
  }
  return { head, rest: input.slice(head.position).trim() };
}

/** The request for names, an amount and the reason as typed (markup and all). */
export function giveRequest(
  recipients: readonly RecipientRef[],
  amount: number | null,
  typedReason: string,
): GiveRequest {
  // Values come from the markup, where a Slack channel link (`<#C1|general>`) is no hashtag.
  const values = hashtagValues(typedReason);
  return {
    recipients,
    amount,
    reason: reasonAsTyped(typedReason).trim(),
    values,
    private: false,
  };
}

/** The refusal of a command that names nobody: an unknown word, or no names at the start. */
function noRecipient(
  input: string,
  position: number,
  amount: number | null,
  commandName: string,
): GiveParseRefusal {
  const word = FIRST_WORD.exec(input);
  const mentionsSomeone = ANY_RECIPIENT.test(input);
  if (word && position === 0 && !mentionsSomeone) {
    const shown = [...word[0]].length > 20 ? `${[...word[0]].slice(0, 19).join('')}…` : word[0];
    return refuse(
      'usage',
      `'${shown}' is not a kudos command or a person; try ${commandName} help.`,
    );
  }
  if (mentionsSomeone && word && position === 0) {
    // Text that only talks about someone ("lunch with @jose") is no thank-you: nothing moves.
    return refuse(
      'usage',
      `That reads as a mention of someone, not a thank-you. Start with who the kudos is for (${commandName} @ana 10 for …) or with thanks (${commandName} thanks @ana for …).`,
    );
  }
  return refuse(
    'usage',
    amount === null && input.length > 0
      ? 'Start with who the kudos is for.'
      : 'Say who the kudos is for.',
  );
}
