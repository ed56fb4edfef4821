import type { MemberRole } from '../db/tables.ts';
import { CADENCES } from '../recognition/allowance-period.ts';
import { quoted } from '../recognition/wording.ts';
import { checkReactionSettings } from './reaction-settings.ts';
import { ROLES } from './roles.ts';

/** The program as admins shape it: recognition, allowance and reward settings in one. */
export interface ProgramSettings {
  timezone: string;
  currency: string;
  allowance: {
    amount: number;
    cadence: 'weekly' | 'monthly' | 'quarterly';
    rolloverCap: number;
    prorateNewMembers: boolean;
  };
  roleAllowances: Partial<Record<'member' | 'admin' | 'hr', number>>;
  memberAllowances: Array<{ memberId: number; amount: number }>;
  defaultAmount: number;
  minAmount: number;
  maxAmount: number;
  maxRecipients: number;
  dailyPairCap: number | null;
  values: string[];
  valueRequired: boolean;
  minReasonLength: number;
  maxReasonLength: number;
  announcementChannel: string | null;
  guestsMayParticipate: boolean;
  leaverRedeemDays: number;
  /** Reaction emoji (short name, no colons) that give points, with the points of each. */
  reactionPoints: Record<string, number>;
  /** Minutes after a reaction during which removing it takes its points back. */
  reactionGraceMinutes: number;
  /** Whether colleagues may boost a kudos from its celebration. */
  boostsAllowed: boolean;
  pointValueMilli: number;
  monthlyBudgetMinor: number | null;
  holdHours: number;
}

/**
 * What a change names, and nothing else. `values` replaces the list. `allowance` changes
 * the fields it names. `roleAllowances` and `memberAllowances` set the overrides they
 * name and leave the others; a null amount removes one.
 */
export type ProgramSettingsChange = Partial<
  Omit<ProgramSettings, 'allowance' | 'roleAllowances' | 'memberAllowances'>
> & {
  allowance?: Partial<ProgramSettings['allowance']>;
  roleAllowances?: Partial<Record<'member' | 'admin' | 'hr', number | null>>;
  memberAllowances?: Array<{ memberId: number; amount: number | null }>;
};

/** The keys of {@link ProgramSettings}, in the order people read them. */
export const SETTING_KEYS = [
  'timezone',
  'currency',
  'allowance',
  'roleAllowances',
  'memberAllowances',
  'defaultAmount',
  'minAmount',
  'maxAmount',
  'maxRecipients',
  'dailyPairCap',
  'values',
  'valueRequired',
  'minReasonLength',
  'maxReasonLength',
  'announcementChannel',
  'guestsMayParticipate',
  'leaverRedeemDays',
  'reactionPoints',
  'reactionGraceMinutes',
  'boostsAllowed',
  'pointValueMilli',
  'monthlyBudgetMinor',
  'holdHours',
] as const satisfies ReadonlyArray<keyof ProgramSettings>;

export type SettingKey = (typeof SETTING_KEYS)[number];

const ALLOWANCE_KEYS = ['amount', 'cadence', 'rolloverCap', 'prorateNewMembers'] as const;

/** The largest amount of points any setting takes; the database allows no more. */
export const MOST_POINTS = 1_000_000;

const isWhole = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

/** Role overrides keyed in the order of {@link ROLES}, so equal ones compare equal. */
export function inRoleOrder(
  overrides: Partial<Record<MemberRole, number>>,
): Partial<Record<MemberRole, number>> {
  const ordered: Partial<Record<MemberRole, number>> = {};
  for (const role of ROLES) {
    const amount = overrides[role];
    if (amount !== undefined) ordered[role] = amount;
  }
  return ordered;
}

/** An IANA time zone's canonical name, or undefined when there is no such zone. */
export function canonicalTimezone(name: string): string | undefined {
  if (name.trim() === '' || /\s/.test(name.trim())) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

let knownCurrencies: ReadonlySet<string> | undefined;

/** ISO 4217 codes the runtime knows. */
function isKnownCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(code);
}

/** A company value as stored: lower-case, without a leading `#`. */
export function normalValue(text: string): string {
  return text.trim().replace(/^#/, '').toLowerCase();
}

const MOST_VALUES = 50;

/**
 * The longest reason a setting may allow: what Slack's give modal takes, and room to
 * spare in a celebration, which quotes the reason in one Slack section (3,000 characters).
 */
export const LONGEST_REASON = 2000;

/**
 * Checks a change against the settings it would change and returns the settings after
 * it, or every problem, one sentence each. Pure: whether the members an override names
 * exist is checked where the database is.
 */
export function applySettingsChange(
  current: ProgramSettings,
  change: ProgramSettingsChange,
): { ok: true; next: ProgramSettings } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const next: ProgramSettings = {
    ...current,
    allowance: { ...current.allowance },
    roleAllowances: { ...current.roleAllowances },
    memberAllowances: [...current.memberAllowances],
    values: [...current.values],
    reactionPoints: { ...current.reactionPoints },
  };
  const given = change as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (given[key] !== undefined && !(SETTING_KEYS as readonly string[]).includes(key)) {
      problems.push(`${quoted(key)} is not a setting.`);
    }
  }

  if (change.timezone !== undefined) {
    const zone =
      typeof change.timezone === 'string' ? canonicalTimezone(change.timezone) : undefined;
    if (zone) next.timezone = zone;
    else
      problems.push(
        `${quoted(change.timezone)} is not a time zone I know; use a name like Europe/Lisbon or America/New_York.`,
      );
  }
  if (change.currency !== undefined) {
    const code = typeof change.currency === 'string' ? change.currency.trim() : '';
    if (!/^[A-Z]{3}$/.test(code)) {
      problems.push(
        `A currency is three capital letters, like EUR or USD; ${quoted(change.currency)} is not.`,
      );
    } else if (!isKnownCurrency(code)) {
      problems.push(`${code} is not a currency I know; use an ISO 4217 code like EUR or USD.`);
    } else next.currency = code;
  }

  if (change.allowance !== undefined) {
    const allowance = change.allowance as Record<string, unknown>;
    for (const key of Object.keys(allowance)) {
      if (allowance[key] !== undefined && !(ALLOWANCE_KEYS as readonly string[]).includes(key)) {
        problems.push(`${quoted(`allowance.${key}`)} is not a setting.`);
      }
    }
    const { amount, cadence, rolloverCap, prorateNewMembers } = change.allowance;
    if (amount !== undefined) {
      if (isWhole(amount, 0, MOST_POINTS)) next.allowance.amount = amount;
      else
        problems.push(
          `The allowance is a whole number of points from 0 to ${MOST_POINTS}; ${quoted(amount)} is not.`,
        );
    }
    if (cadence !== undefined) {
      if ((CADENCES as readonly unknown[]).includes(cadence)) next.allowance.cadence = cadence;
      else
        problems.push(
          `The allowance resets weekly, monthly or quarterly; ${quoted(cadence)} is none of those.`,
        );
    }
    if (rolloverCap !== undefined) {
      if (isWhole(rolloverCap, 0, MOST_POINTS)) next.allowance.rolloverCap = rolloverCap;
      else
        problems.push(
          `The rollover cap is a whole number of points from 0 to ${MOST_POINTS}; ${quoted(rolloverCap)} is not.`,
        );
    }
    if (prorateNewMembers !== undefined) {
      if (typeof prorateNewMembers === 'boolean')
        next.allowance.prorateNewMembers = prorateNewMembers;
      else problems.push('Whether to prorate new members is yes or no.');
    }
  }

  if (change.roleAllowances !== undefined) {
    for (const [role, amount] of Object.entries(change.roleAllowances)) {
      if (!(ROLES as readonly string[]).includes(role)) {
        problems.push(`${quoted(role)} is not a role; roles are member, admin and hr.`);
      } else if (amount === null) {
        delete next.roleAllowances[role as MemberRole];
      } else if (isWhole(amount, 0, MOST_POINTS)) {
        next.roleAllowances[role as MemberRole] = amount;
      } else if (amount !== undefined) {
        problems.push(
          `The ${role} allowance is a whole number of points from 0 to ${MOST_POINTS}, or none; ${quoted(amount)} is not.`,
        );
      }
    }
  }

  next.roleAllowances = inRoleOrder(next.roleAllowances);

  if (change.memberAllowances !== undefined) {
    const byMember = new Map(next.memberAllowances.map((entry) => [entry.memberId, entry.amount]));
    for (const entry of change.memberAllowances) {
      const { memberId, amount } = entry ?? {};
      if (!isWhole(memberId, 1, Number.MAX_SAFE_INTEGER)) {
        problems.push(`A member allowance names a member by id; ${quoted(memberId)} is not one.`);
      } else if (amount === null) {
        byMember.delete(memberId);
      } else if (isWhole(amount, 0, MOST_POINTS)) {
        byMember.set(memberId, amount);
      } else {
        problems.push(
          `A member's allowance is a whole number of points from 0 to ${MOST_POINTS}, or none; ${quoted(amount)} is not.`,
        );
      }
    }
    next.memberAllowances = [...byMember]
      .map(([memberId, amount]) => ({ memberId, amount }))
      .sort((a, b) => a.memberId - b.memberId);
  }

  const amounts = [
    ['defaultAmount', 'The default amount'],
    ['minAmount', 'The minimum per kudos'],
    ['maxAmount', 'The maximum per kudos'],
  ] as const;
  let amountsValid = true;
  for (const [key, label] of amounts) {
    const value = change[key];
    if (value === undefined) continue;
    if (isWhole(value, 1, MOST_POINTS)) next[key] = value;
    else {
      amountsValid = false;
      problems.push(
        `${label} is a whole number of points from 1 to ${MOST_POINTS}; ${quoted(value)} is not.`,
      );
    }
  }
  if (amountsValid && amounts.some(([key]) => change[key] !== undefined)) {
    if (next.minAmount > next.maxAmount) {
      problems.push(
        `The minimum per kudos (${next.minAmount}) is more than the maximum (${next.maxAmount}).`,
      );
    } else if (next.defaultAmount < next.minAmount || next.defaultAmount > next.maxAmount) {
      problems.push(
        `The default amount (${next.defaultAmount}) must be between the minimum (${next.minAmount}) and the maximum (${next.maxAmount}).`,
      );
    }
  }

  if (change.maxRecipients !== undefined) {
    if (isWhole(change.maxRecipients, 1, 100)) next.maxRecipients = change.maxRecipients;
    else
      problems.push(
        `The most people one kudos may name is from 1 to 100; ${quoted(change.maxRecipients)} is not.`,
      );
  }
  if (change.dailyPairCap !== undefined) {
    if (change.dailyPairCap === null || isWhole(change.dailyPairCap, 1, MOST_POINTS)) {
      next.dailyPairCap = change.dailyPairCap;
    } else
      problems.push(
        `The daily cap per pair is a whole number of points from 1 to ${MOST_POINTS}, or none; ${quoted(change.dailyPairCap)} is not.`,
      );
  }

  if (change.values !== undefined) {
    if (!Array.isArray(change.values)) {
      problems.push('The company values are a list of words.');
    } else {
      const values: string[] = [];
      for (const raw of change.values) {
        if (typeof raw !== 'string') {
          problems.push(`A company value is a word; ${quoted(raw)} is not.`);
          continue;
        }
        const value = normalValue(raw);
        if (value === '') continue;
        if (/[\s#]/.test(value)) {
          problems.push(
            `A company value is one word (hyphens are fine), so people can name it with a hashtag; ${quoted(raw.trim())} is not.`,
          );
        } else if ([...value].length > 60) {
          problems.push(`A company value is at most 60 characters; ${quoted(value)} is longer.`);
        } else if (!values.includes(value)) values.push(value);
      }
      if (values.length > MOST_VALUES) {
        problems.push(
          `An organization has at most ${MOST_VALUES} company values; this names ${values.length}.`,
        );
      }
      next.values = values.sort();
    }
  }
  if (change.valueRequired !== undefined) {
    if (typeof change.valueRequired === 'boolean') next.valueRequired = change.valueRequired;
    else problems.push('Whether a company value is required is yes or no.');
  }
  checkReasonLengths(change, next, problems);
  checkReactionSettings(change, next, problems);

  if (change.announcementChannel !== undefined) {
    const channel =
      typeof change.announcementChannel === 'string' ? change.announcementChannel.trim() : null;
    if (change.announcementChannel === null) next.announcementChannel = null;
    else if (channel && channel.length <= 200 && !/\s/.test(channel)) {
      next.announcementChannel = channel;
    } else
      problems.push(
        `The announcement channel is a channel id without spaces (like C0123ABC), or none; ${quoted(change.announcementChannel)} is not.`,
      );
  }
  if (change.guestsMayParticipate !== undefined) {
    if (typeof change.guestsMayParticipate === 'boolean') {
      next.guestsMayParticipate = change.guestsMayParticipate;
    } else problems.push('Whether guests may take part is yes or no.');
  }
  if (change.boostsAllowed !== undefined) {
    if (typeof change.boostsAllowed === 'boolean') next.boostsAllowed = change.boostsAllowed;
    else problems.push('Whether colleagues may boost a kudos is yes or no.');
  }
  if (change.leaverRedeemDays !== undefined) {
    if (isWhole(change.leaverRedeemDays, 0, 3650)) next.leaverRedeemDays = change.leaverRedeemDays;
    else
      problems.push(
        `Leavers may redeem for 0 to 3650 days after they leave; ${quoted(change.leaverRedeemDays)} is not.`,
      );
  }

  if (change.pointValueMilli !== undefined) {
    if (isWhole(change.pointValueMilli, 0, Number.MAX_SAFE_INTEGER)) {
      next.pointValueMilli = change.pointValueMilli;
    } else
      problems.push(
        `What a point is worth is an amount of money of at least 0; ${quoted(change.pointValueMilli)} is not.`,
      );
  }
  if (change.monthlyBudgetMinor !== undefined) {
    if (
      change.monthlyBudgetMinor === null ||
      isWhole(change.monthlyBudgetMinor, 0, Number.MAX_SAFE_INTEGER)
    ) {
      next.monthlyBudgetMinor = change.monthlyBudgetMinor;
    } else
      problems.push(
        `The monthly budget is an amount of money of at least 0, or none; ${quoted(change.monthlyBudgetMinor)} is not.`,
      );
  }
  if (change.holdHours !== undefined) {
    if (isWhole(change.holdHours, 1, 8760)) next.holdHours = change.holdHours;
    else
      problems.push(
        `A redemption may wait for HR from 1 hour to 365 days; ${quoted(change.holdHours)} hours is not that.`,
      );
  }

  return problems.length > 0 ? { ok: false, problems } : { ok: true, next };
}

/** The shortest and longest reason, each in its range, the shortest no longer than the longest. */
function checkReasonLengths(
  change: ProgramSettingsChange,
  next: ProgramSettings,
  problems: string[],
): void {
  const { minReasonLength: min, maxReasonLength: max } = change;
  let valid = true;
  if (min !== undefined) {
    if (isWhole(min, 0, 500)) next.minReasonLength = min;
    else {
      valid = false;
      problems.push(`The shortest reason is from 0 to 500 characters; ${quoted(min)} is not.`);
    }
  }
  if (max !== undefined) {
    if (isWhole(max, 1, LONGEST_REASON)) next.maxReasonLength = max;
    else {
      valid = false;
      problems.push(
        `The longest reason is from 1 to ${LONGEST_REASON} characters; ${quoted(max)} is not.`,
      );
    }
  }
  if (valid && (min !== undefined || max !== undefined)) {
    if (next.minReasonLength > next.maxReasonLength) {
      problems.push(
        `The shortest reason (${next.minReasonLength} characters) is longer than the longest reason (${next.maxReasonLength}).`,
      );
    }
  }
}

/** Each setting that differs between two versions, before and after. */
export function changedSettings(
  before: ProgramSettings,
  after: ProgramSettings,
): { before: Partial<ProgramSettings>; after: Partial<ProgramSettings> } {
  const was: Record<string, unknown> = {};
  const is: Record<string, unknown> = {};
  // Role overrides compare in role order, whichever order they were written in.
  const comparable = (settings: ProgramSettings, key: SettingKey) =>
    JSON.stringify(key === 'roleAllowances' ? inRoleOrder(settings.roleAllowances) : settings[key]);
  for (const key of SETTING_KEYS) {
    if (comparable(before, key) !== comparable(after, key)) {
      was[key] = before[key];
      is[key] = after[key];
    }
  }
  return { before: was as Partial<ProgramSettings>, after: is as Partial<ProgramSettings> };
}
