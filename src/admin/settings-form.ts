import { formatMoney, formatRate } from '../rewards/money.ts';
import type { ProgramSettings } from './program-settings.ts';
import type { ChatKey } from './settings-command.ts';

/**
 * The settings form that Slack's modal and Teams' card show. Neither changes anything
 * itself: what an admin changed in it becomes the text of `admin settings key=value …`,
 * run through the command router as that admin, so a form and a typed command share
 * one validation, one role check and one audit entry.
 */

/**
 * A form field's key: the key of `admin settings key=value`. The allowance overrides
 * name people and roles, which a form field cannot, so they stay in chat.
 */
export type SettingsFormKey = Exclude<ChatKey, 'role-allowance' | 'member-allowance'>;

/**
 * How a field is entered: a whole number, a number with decimals (money, days), free text,
 * one of a few choices, a yes/no switch, a chat channel, or a comma-separated list.
 */
export type SettingKind = 'integer' | 'decimal' | 'text' | 'choice' | 'toggle' | 'channel' | 'list';

export interface SettingField {
  readonly key: SettingsFormKey;
  readonly label: string;
  /** A switch's heading; its label is the sentence beside the box. */
  readonly title?: string;
  readonly kind: SettingKind;
  readonly hint?: string;
  /** Left empty, the field means `none` (no cap, no budget, no channel). */
  readonly emptyMeansNone?: boolean;
  /** The choices of a `choice` field. */
  readonly choices?: readonly string[];
}

export const CADENCES = ['weekly', 'monthly', 'quarterly'] as const;

/** The form's fields, in the order the form shows them. */
export const SETTING_FIELDS: readonly SettingField[] = [
  { key: 'allowance', label: 'Allowance per period', kind: 'integer' },
  { key: 'cadence', label: 'Allowance period', kind: 'choice', choices: CADENCES },
  {
    key: 'rollover-cap',
    label: 'Rollover cap',
    kind: 'integer',
    hint: 'The most unused allowance carried into the next period; 0 lets it all expire.',
  },
  {
    key: 'prorate',
    title: 'New members',
    label: 'Prorate the allowance of people who join mid-period',
    kind: 'toggle',
  },
  {
    key: 'timezone',
    label: 'Time zone',
    kind: 'text',
    hint: 'An IANA time zone, such as Europe/Lisbon; periods and daily caps follow it.',
  },
  { key: 'default', label: 'Default points per kudos', kind: 'integer' },
  { key: 'min', label: 'Fewest points per kudos', kind: 'integer' },
  { key: 'max', label: 'Most points per kudos', kind: 'integer' },
  { key: 'max-recipients', label: 'Most people per kudos', kind: 'integer' },
  {
    key: 'pair-cap',
    label: 'Daily cap per giver and recipient',
    kind: 'integer',
    emptyMeansNone: true,
    hint: 'Most points one person may give another per day; empty for no cap.',
  },
  {
    key: 'values',
    label: 'Company values',
    kind: 'list',
    hint: 'Separated by commas, such as teamwork, ownership.',
  },
  {
    key: 'value-required',
    title: 'Company value',
    label: 'Every kudos names a company value',
    kind: 'toggle',
  },
  { key: 'min-reason', label: 'Shortest reason, in characters', kind: 'integer' },
  {
    key: 'max-reason',
    label: 'Longest reason, in characters',
    kind: 'integer',
    hint: 'Up to 2000; celebrations and direct messages quote the reason whole.',
  },
  {
    key: 'guests',
    title: 'Guests',
    label: 'Guests may give and receive kudos',
    kind: 'toggle',
  },
  {
    key: 'leaver-days',
    label: 'Days a leaver may still redeem',
    kind: 'integer',
    hint: 'How long someone who left may redeem the points they earned; 0 for not at all.',
  },
  {
    key: 'reactions',
    label: 'Reactions that give points',
    kind: 'list',
    hint: 'Emoji names with their points, such as taco:1, star:5; empty: reactions give nothing.',
  },
  {
    key: 'reaction-grace',
    label: 'Minutes a removed reaction takes its points back',
    kind: 'integer',
    hint: 'Removing the reaction within this many minutes reverses its kudos; after it, nothing changes.',
  },
  {
    key: 'boosts',
    title: 'Boosts',
    label: 'Colleagues may boost a kudos with points of their own',
    kind: 'toggle',
  },
  {
    key: 'channel',
    label: 'Announcement channel',
    kind: 'channel',
    emptyMeansNone: true,
    hint: 'Where every kudos is celebrated, besides where it was given; empty for none.',
  },
  { key: 'currency', label: 'Currency', kind: 'text', hint: 'A three-letter code, such as EUR.' },
  {
    key: 'rate',
    label: 'What a point is worth',
    kind: 'decimal',
    hint: 'In the currency, such as 0.01.',
  },
  {
    key: 'budget',
    label: 'Monthly redemption budget',
    kind: 'decimal',
    emptyMeansNone: true,
    hint: 'In the currency; empty for no budget.',
  },
  {
    key: 'hold-days',
    label: 'Days a redemption may wait for HR',
    // A hold set in hours elsewhere shows as a fraction of days.
    kind: 'decimal',
  },
];

/** A form's values as text, by key: what it shows, or what was submitted. */
export type SettingsFormValues = Partial<Record<SettingsFormKey, string>>;

const yesNo = (on: boolean) => (on ? 'yes' : 'no');

/** An amount as its number alone: `formatMoney` and `formatRate` end with the currency. */
const withoutCurrency = (formatted: string) => formatted.split(' ')[0] ?? formatted;

/** The current settings as the form shows them, before anyone changes a thing. */
export function settingsFormValues(settings: ProgramSettings): Record<SettingsFormKey, string> {
  const { allowance, currency } = settings;
  return {
    allowance: String(allowance.amount),
    cadence: allowance.cadence,
    'rollover-cap': String(allowance.rolloverCap),
    prorate: yesNo(allowance.prorateNewMembers),
    timezone: settings.timezone,
    default: String(settings.defaultAmount),
    min: String(settings.minAmount),
    max: String(settings.maxAmount),
    'max-recipients': String(settings.maxRecipients),
    'pair-cap': settings.dailyPairCap === null ? '' : String(settings.dailyPairCap),
    values: settings.values.join(', '),
    'value-required': yesNo(settings.valueRequired),
    'min-reason': String(settings.minReasonLength),
    'max-reason': String(settings.maxReasonLength),
    guests: yesNo(settings.guestsMayParticipate),
    'leaver-days': String(settings.leaverRedeemDays),
    reactions: Object.entries(settings.reactionPoints)
      .map(([emoji, amount]) => `${emoji}:${amount}`)
      .join(', '),
    'reaction-grace': String(settings.reactionGraceMinutes),
    boosts: yesNo(settings.boostsAllowed),
    channel: settings.announcementChannel ?? '',
    currency,
    rate: withoutCurrency(formatRate(settings.pointValueMilli, currency)),
    budget:
      settings.monthlyBudgetMinor === null
        ? ''
        : withoutCurrency(formatMoney(settings.monthlyBudgetMinor, currency)),
    // Hours that are no whole number of days show as a fraction; left alone, they stay.
    'hold-days': String(Math.round((settings.holdHours / 24) * 1000) / 1000),
  };
}

/** A submitted value in the one spelling it is compared and sent in. */
function normalized(field: SettingField, raw: string): string {
  const text = raw.trim();
  switch (field.kind) {
    case 'toggle':
      return yesNo(['yes', 'true', 'on', '1'].includes(text.toLowerCase()));
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .join(',');
    default:
      return field.emptyMeansNone && (text === '' || text.toLowerCase() === 'none') ? 'none' : text;
  }
}

function same(field: SettingField, a: string, b: string): boolean {
  if (field.kind === 'integer' || field.kind === 'decimal') {
    const [x, y] = [Number(a), Number(b)];
    if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x === y;
  }
  // Company values are kept lower-case: a change of case alone is no change.
  if (field.kind === 'list') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/**
 * One `key=value` argument; a value with spaces, quotes or nothing at all is put in
 * double quotes (a quote or backslash in it escaped with a backslash).
 */
export function settingArgument(key: SettingsFormKey, value: string): string {
  return /^[^\s"'“”\\]+$/.test(value)
    ? `${key}=${value}`
    : `${key}="${value.replace(/["\\]/g, '\\$&')}"`;
}

export interface SettingsFormChange {
  /** The keys whose values changed, in the form's order. */
  readonly keys: readonly SettingsFormKey[];
  /** `admin settings key=value …`, the command that makes the change; empty when nothing changed. */
  readonly command: string;
}

/**
 * What an admin changed in the form: each field that was submitted and differs from what
 * the form showed when it was opened. Fields left alone are not sent, so a form opened
 * before someone else's change does not undo it.
 */
export function settingsFormChange(
  shown: SettingsFormValues,
  submitted: SettingsFormValues,
): SettingsFormChange {
  const keys: SettingsFormKey[] = [];
  const args: string[] = [];
  for (const field of SETTING_FIELDS) {
    const raw = submitted[field.key];
    if (raw === undefined) continue;
    const value = normalized(field, raw);
    if (same(field, value, normalized(field, shown[field.key] ?? ''))) continue;
    keys.push(field.key);
    args.push(settingArgument(field.key, value));
  }
  return { keys, command: args.length > 0 ? `admin settings ${args.join(' ')}` : '' };
}

/** `admin settings` and nothing after it: the command a form stands in for, in chat. */
export function opensSettingsForm(text: string): boolean {
  return /^\s*admin\s+settings\s*$/i.test(text);
}

/**
 * The words by which a refusal's sentence names each field, so the form can show the
 * sentence under the field it is about. They follow the sentences of `admin settings`.
 */
const NAMED_BY: Readonly<Record<SettingsFormKey, RegExp>> = {
  allowance: /\bthe allowance is\b|\ballowance=/i,
  cadence: /\bresets weekly\b|\bcadence\b/i,
  'rollover-cap': /\brollover\b/i,
  prorate: /\bprorat/i,
  timezone: /\btime zone\b|\btimezone\b/i,
  default: /\bdefault\b/i,
  min: /\bminimum\b|\bmin=/i,
  max: /\bmaximum\b|\bmax=/i,
  'max-recipients': /\bmost people\b|\bmax-recipients\b/i,
  'pair-cap': /\bdaily cap\b|\bpair-cap\b/i,
  values: /\bcompany values? (?:is|are) (?:a|one|at)\b|\bcompany values;|\bvalues=/i,
  'value-required': /\brequired\b/i,
  'min-reason': /\bshortest reason\b|\bmin-reason\b/i,
  'max-reason': /\blongest reason\b|\bmax-reason\b/i,
  guests: /\bguests\b/i,
  'leaver-days': /\bleavers?\b|\bleaver-days\b/i,
  reactions: /\breactions?\b(?! takes)|\bemoji\b/i,
  'reaction-grace': /\bremoved reaction\b|\breaction-grace\b/i,
  boosts: /\bboost/i,
  channel: /\bannouncement channel\b|\bchannel=/i,
  currency: /\bcurrenc(?:y|ies)\b/i,
  rate: /\bpoint is worth\b|\brate\b/i,
  budget: /\bbudget\b/i,
  'hold-days': /\bwait for HR\b|\bhold-days\b/i,
};

/** A refusal's sentences, each bad value having its own, without the closing reassurance. */
const sentences = (text: string) =>
  text
    .split(/(?<=[.!?])\s+(?=[A-Z“"])/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0 && !/^Nothing was changed\.$/i.test(sentence));

/**
 * A form's refusal as the sentences to show under each field, when every sentence is
 * about a field that changed; undefined otherwise (a refusal about who may change
 * settings, or one the form cannot place), which the form shows as a message instead.
 */
export function settingsRefusalByField(
  reply: { readonly outcome: string; readonly code?: string; readonly text: string },
  changed: readonly SettingsFormKey[],
): Partial<Record<SettingsFormKey, string>> | undefined {
  if (reply.outcome === 'ok' || changed.length === 0) return undefined;
  if (reply.code !== 'invalid_setting' && reply.code !== 'usage') return undefined;
  const [only] = changed;
  if (changed.length === 1 && only) return { [only]: reply.text };
  const byField: Partial<Record<SettingsFormKey, string>> = {};
  for (const sentence of sentences(reply.text)) {
    const fields = changed.filter((key) => NAMED_BY[key].test(sentence));
    if (fields.length === 0) return undefined;
    for (const key of fields) byField[key] = [byField[key], sentence].filter(Boolean).join(' ');
  }
  return Object.keys(byField).length > 0 ? byField : undefined;
}
