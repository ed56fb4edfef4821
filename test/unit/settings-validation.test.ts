import { describe, expect, it } from 'vitest';
import {
  applySettingsChange,
  canonicalTimezone,
  changedSettings,
  type ProgramSettings,
  type ProgramSettingsChange,
} from '../../src/admin/settings-validation.ts';

const CURRENT: ProgramSettings = {
  timezone: 'Europe/Lisbon',
  currency: 'EUR',
  allowance: { amount: 100, cadence: 'monthly', rolloverCap: 0, prorateNewMembers: false },
  roleAllowances: { hr: 200 },
  memberAllowances: [{ memberId: 7, amount: 50 }],
  defaultAmount: 10,
  minAmount: 1,
  maxAmount: 100,
  maxRecipients: 10,
  dailyPairCap: null,
  values: ['teamwork'],
  valueRequired: false,
  minReasonLength: 0,
  maxReasonLength: 1000,
  announcementChannel: null,
  guestsMayParticipate: false,
  leaverRedeemDays: 0,
  reactionPoints: {},
  reactionGraceMinutes: 10,
  boostsAllowed: true,
  pointValueMilli: 1000,
  monthlyBudgetMinor: null,
  holdHours: 336,
};

function problemsOf(change: ProgramSettingsChange): string[] {
  const result = applySettingsChange(CURRENT, change);
  return result.ok ? [] : result.problems;
}

function nextOf(change: ProgramSettingsChange): ProgramSettings {
  const result = applySettingsChange(CURRENT, change);
  if (!result.ok) throw new Error(result.problems.join(' '));
  return result.next;
}

describe('applySettingsChange', () => {
  const bad: Array<[string, ProgramSettingsChange, string]> = [
    [
      'an unknown time zone',
      { timezone: 'Mars/Olympus' },
      '“Mars/Olympus” is not a time zone I know',
    ],
    ['a time zone with spaces', { timezone: 'New York' }, 'is not a time zone I know'],
    [
      'a currency in lower case',
      { currency: 'eur' },
      'A currency is three capital letters, like EUR or USD; “eur” is not.',
    ],
    ['a currency of four letters', { currency: 'EURO' }, 'three capital letters'],
    ['a currency nobody uses', { currency: 'QQQ' }, 'QQQ is not a currency I know'],
    [
      'a reaction that is no emoji name',
      { reactionPoints: { 'party parrot': 1 } },
      "A reaction is an emoji's name, like taco or star; “party parrot” is not.",
    ],
    [
      'a reaction worth no points',
      { reactionPoints: { taco: 0 } },
      'A reaction gives a whole number of points from 1 to 100; “0” for :taco: is not.',
    ],
    ['a reaction worth a fraction', { reactionPoints: { star: 2.5 } }, '“2.5” for :star: is not'],
    [
      'a negative grace period',
      { reactionGraceMinutes: -1 },
      'A removed reaction takes its points back within 0 to 1440 minutes; “-1” is not that.',
    ],
    ['a grace period over a day', { reactionGraceMinutes: 1441 }, '0 to 1440 minutes'],
    [
      'a negative allowance',
      { allowance: { amount: -1 } },
      'The allowance is a whole number of points from 0 to 1000000; “-1” is not.',
    ],
    ['a fractional allowance', { allowance: { amount: 2.5 } }, '“2.5” is not'],
    [
      'an unknown cadence',
      { allowance: { cadence: 'daily' as never } },
      'The allowance resets weekly, monthly or quarterly; “daily” is none of those.',
    ],
    [
      'a negative rollover cap',
      { allowance: { rolloverCap: -5 } },
      'The rollover cap is a whole number',
    ],
    [
      'prorate that is not yes or no',
      { allowance: { prorateNewMembers: 'maybe' as never } },
      'Whether to prorate new members is yes or no.',
    ],
    [
      'a minimum above the maximum',
      { minAmount: 60, maxAmount: 50 },
      'The minimum per kudos (60) is more than the maximum (50).',
    ],
    [
      'a minimum above the current maximum',
      { minAmount: 101 },
      'The minimum per kudos (101) is more than the maximum (100).',
    ],
    [
      'a default below the minimum',
      { minAmount: 5, defaultAmount: 3 },
      'The default amount (3) must be between the minimum (5) and the maximum (100).',
    ],
    [
      'a default above the maximum',
      { maxAmount: 8 },
      'The default amount (10) must be between the minimum (1) and the maximum (8).',
    ],
    [
      'a zero minimum',
      { minAmount: 0 },
      'The minimum per kudos is a whole number of points from 1 to 1000000; “0” is not.',
    ],
    ['a negative maximum', { maxAmount: -3 }, 'The maximum per kudos is a whole number'],
    [
      'no recipients at all',
      { maxRecipients: 0 },
      'The most people one kudos may name is from 1 to 100; “0” is not.',
    ],
    [
      'a zero pair cap',
      { dailyPairCap: 0 },
      'The daily cap per pair is a whole number of points from 1',
    ],
    ['a value of two words', { values: ['customer focus'] }, '“customer focus” is not.'],
    ['a value with a hash inside', { values: ['team#work'] }, 'A company value is one word'],
    ['a value too long', { values: ['x'.repeat(61)] }, 'at most 60 characters'],
    [
      'a negative shortest reason',
      { minReasonLength: -1 },
      'The shortest reason is from 0 to 500 characters; “-1” is not.',
    ],
    ['a very long shortest reason', { minReasonLength: 501 }, '“501” is not'],
    [
      'no room for a reason at all',
      { maxReasonLength: 0 },
      'The longest reason is from 1 to 2000 characters; “0” is not.',
    ],
    ['a longest reason past what a celebration holds', { maxReasonLength: 2001 }, '“2001” is not'],
    [
      'a shortest reason longer than the longest',
      { minReasonLength: 300, maxReasonLength: 200 },
      'The shortest reason (300 characters) is longer than the longest reason (200).',
    ],
    [
      'a channel with spaces',
      { announcementChannel: 'general chat' },
      'The announcement channel is a channel id without spaces',
    ],
    ['an empty channel', { announcementChannel: '  ' }, 'The announcement channel is a channel id'],
    [
      'negative leaver days',
      { leaverRedeemDays: -1 },
      'Leavers may redeem for 0 to 3650 days after they leave; “-1” is not.',
    ],
    [
      'a negative point value',
      { pointValueMilli: -1 },
      'What a point is worth is an amount of money of at least 0',
    ],
    [
      'a negative budget',
      { monthlyBudgetMinor: -100 },
      'The monthly budget is an amount of money of at least 0, or none',
    ],
    [
      'a hold of no hours',
      { holdHours: 0 },
      'A redemption may wait for HR from 1 hour to 365 days',
    ],
    [
      'an unknown role override',
      { roleAllowances: { boss: 5 } as never },
      '“boss” is not a role; roles are member, admin and hr.',
    ],
    [
      'a negative role override',
      { roleAllowances: { hr: -5 } },
      'The hr allowance is a whole number of points from 0 to 1000000, or none; “-5” is not.',
    ],
    [
      'a member override without a member',
      { memberAllowances: [{ memberId: 0, amount: 5 }] },
      'A member allowance names a member by id; “0” is not one.',
    ],
    [
      'a negative member override',
      { memberAllowances: [{ memberId: 7, amount: -1 }] },
      "A member's allowance is a whole number",
    ],
    [
      'guests that are not yes or no',
      { guestsMayParticipate: 'yes' as never },
      'Whether guests may take part is yes or no.',
    ],
    ['an unknown key', { colour: 'blue' } as never, '“colour” is not a setting.'],
  ];
  it.each(bad)('refuses %s, with its own sentence', (_label, change, sentence) => {
    const problems = problemsOf(change);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(sentence);
    expect(problems[0]).toMatch(/[.]$/);
  });

  it('names every bad value of one change, each in its own sentence', () => {
    const problems = problemsOf({ timezone: 'Nowhere', currency: 'eur', maxRecipients: 0 });
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).toMatch(/Nowhere.*eur.*“0”/);
  });

  it('says a long wrong value back cut short, not whole', () => {
    const typed = `Europe/${'x'.repeat(100_000)}`;
    const [problem] = problemsOf({ timezone: typed, values: ['ok', `v${'y'.repeat(100)}`] });
    expect(problem).toBe(
      `“Europe/${'x'.repeat(32)}…” is not a time zone I know; use a name like Europe/Lisbon or America/New_York.`,
    );
    expect(problemsOf({ values: [`v${'y'.repeat(100)}`] })).toEqual([
      `A company value is at most 60 characters; “v${'y'.repeat(38)}…” is longer.`,
    ]);
  });

  it('refuses a longest reason shorter than the shortest one already set', () => {
    const result = applySettingsChange(
      { ...CURRENT, minReasonLength: 20 },
      { maxReasonLength: 10 },
    );
    expect(result).toEqual({
      ok: false,
      problems: ['The shortest reason (20 characters) is longer than the longest reason (10).'],
    });
  });

  it('accepts the edges of each range', () => {
    expect(problemsOf({ allowance: { amount: 0, rolloverCap: 1_000_000 } })).toEqual([]);
    expect(problemsOf({ minAmount: 10, maxAmount: 10, defaultAmount: 10 })).toEqual([]);
    expect(
      problemsOf({ maxRecipients: 100, minReasonLength: 500, leaverRedeemDays: 3650 }),
    ).toEqual([]);
    expect(problemsOf({ maxReasonLength: 1 })).toEqual([]);
    expect(problemsOf({ maxReasonLength: 2000, minReasonLength: 500 })).toEqual([]);
    expect(problemsOf({ holdHours: 8760, dailyPairCap: 1, monthlyBudgetMinor: 0 })).toEqual([]);
  });

  it('keeps what it does not name, and changes what it names', () => {
    const next = nextOf({ allowance: { cadence: 'weekly' }, maxAmount: 50 });
    expect(next).toEqual({
      ...CURRENT,
      allowance: { ...CURRENT.allowance, cadence: 'weekly' },
      maxAmount: 50,
    });
  });

  it('writes time zones by their canonical names', () => {
    expect(nextOf({ timezone: 'europe/berlin' }).timezone).toBe('Europe/Berlin');
    expect(canonicalTimezone('UTC')).toBe('UTC');
    expect(canonicalTimezone('')).toBeUndefined();
  });

  it('replaces the values with the list given, lower-case, without hashes, once each', () => {
    expect(nextOf({ values: ['#Ownership', ' teamwork', 'ownership', ''] }).values).toEqual([
      'ownership',
      'teamwork',
    ]);
    expect(nextOf({ values: [] }).values).toEqual([]);
  });

  it('sets and removes role and member overrides by name, and leaves the others', () => {
    const next = nextOf({
      roleAllowances: { hr: null, admin: 80 },
      memberAllowances: [
        { memberId: 9, amount: 5 },
        { memberId: 7, amount: null },
      ],
    });
    expect(next.roleAllowances).toEqual({ admin: 80 });
    expect(next.memberAllowances).toEqual([{ memberId: 9, amount: 5 }]);
    expect(nextOf({ memberAllowances: [{ memberId: 3, amount: 0 }] }).memberAllowances).toEqual([
      { memberId: 3, amount: 0 },
      { memberId: 7, amount: 50 },
    ]);
  });

  it('keeps reaction emoji by their short names, sorted, and replaces the list', () => {
    const next = nextOf({ reactionPoints: { ':Taco:': 1, star: 5 }, reactionGraceMinutes: 0 });
    expect(next.reactionPoints).toEqual({ star: 5, taco: 1 });
    expect(Object.keys(next.reactionPoints)).toEqual(['star', 'taco']);
    expect(next.reactionGraceMinutes).toBe(0);
    const off = applySettingsChange(next, { reactionPoints: {} });
    expect(off.ok && off.next.reactionPoints).toEqual({});
  });

  it('takes none for the pair cap, channel and budget', () => {
    const withAll = nextOf({
      dailyPairCap: 20,
      announcementChannel: ' C123 ',
      monthlyBudgetMinor: 500,
    });
    expect(withAll).toMatchObject({
      dailyPairCap: 20,
      announcementChannel: 'C123',
      monthlyBudgetMinor: 500,
    });
    const cleared = applySettingsChange(withAll, {
      dailyPairCap: null,
      announcementChannel: null,
      monthlyBudgetMinor: null,
    });
    expect(cleared.ok && cleared.next).toMatchObject({
      dailyPairCap: null,
      announcementChannel: null,
      monthlyBudgetMinor: null,
    });
  });
});

describe('changedSettings', () => {
  it('lists only the settings that differ, before and after', () => {
    const after = nextOf({ maxAmount: 50, roleAllowances: { admin: 80 }, values: ['teamwork'] });
    expect(changedSettings(CURRENT, after)).toEqual({
      before: { roleAllowances: { hr: 200 }, maxAmount: 100 },
      after: { roleAllowances: { admin: 80, hr: 200 }, maxAmount: 50 },
    });
    expect(changedSettings(CURRENT, CURRENT)).toEqual({ before: {}, after: {} });
  });

  it('sees role overrides set in another order as the same', () => {
    const reordered = { ...CURRENT, roleAllowances: { hr: 200, admin: 80 } };
    const next = nextOf({ roleAllowances: { admin: 80 } });
    expect(changedSettings(reordered, next)).toEqual({ before: {}, after: {} });
  });
});
