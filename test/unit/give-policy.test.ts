import { describe, expect, it } from 'vitest';
import type { PermissionRule } from '../../src/core/permission-rule.ts';
import type { Member } from '../../src/directory/members.ts';
import {
  checkGivePolicy,
  type GiveRefusal,
  matchCompanyValues,
  type Participant,
  type ProposedGive,
  whoToAsk,
} from '../../src/recognition/give-policy.ts';
import type { RecognitionSettings } from '../../src/recognition/settings.ts';

function settingsWith(overrides: Partial<RecognitionSettings> = {}): RecognitionSettings {
  return {
    organizationId: 1,
    timezone: 'UTC',
    allowanceCadence: 'monthly',
    allowanceAmount: 100,
    rolloverCap: 0,
    prorateNewMembers: false,
    defaultAmount: 10,
    minAmount: 1,
    maxAmount: 50,
    maxRecipients: 5,
    valueRequired: false,
    minReasonLength: 0,
    maxReasonLength: 1000,
    dailyPairCap: null,
    guestsMayParticipate: false,
    whoMayGive: { kind: 'everyone' },
    whoMayReceive: { kind: 'everyone' },
    values: [],
    roleAllowances: new Map(),
    memberAllowances: new Map(),
    leaverRedeemDays: 0,
    reactionPoints: new Map(),
    reactionGraceMinutes: 10,
    boostsAllowed: true,
    cadenceChangedAt: null,
    announcementChannel: null,
    adminNames: ['Ana Silva', 'Li Wei'],
    ...overrides,
  };
}

let nextId = 100;

function person(
  displayName: string,
  overrides: Partial<Member> = {},
  groupIds: readonly number[] = [],
): Participant {
  nextId += 1;
  return {
    member: {
      id: nextId,
      organizationId: 1,
      displayName,
      email: `${displayName.toLowerCase()}@example.com`,
      roles: ['member'],
      status: 'active',
      isGuest: false,
      isBot: false,
      timezone: null,
      joinedAt: new Date('2026-01-01T00:00:00Z'),
      ...overrides,
    },
    groupIds,
  };
}

const giver = person('Gina');
const ravi = person('Ravi');
const sofia = person('Sofia');
const tomas = person('Tomas');
const uma = person('Uma');

function giveWith(overrides: Partial<ProposedGive> = {}): ProposedGive {
  return {
    giver,
    recipients: [ravi],
    amountEach: 10,
    reason: 'for untangling the release checklist',
    values: [],
    ...overrides,
  };
}

/** A sentence for a person: capitalized, ends with a full stop, no leaked placeholders. */
function expectSentence(message: string) {
  expect(message).toMatch(/^[A-Z].*[.!?]$/s);
  expect(message).not.toMatch(/undefined|null|NaN|\[object|\$\{/);
}

/** Asserts a refusal with this code whose message is a sentence containing every fragment. */
function expectRefusal(
  refusal: GiveRefusal | undefined,
  code: GiveRefusal['code'],
  ...fragments: string[]
) {
  expect(refusal).toMatchObject({ ok: false, code });
  const message = refusal?.message ?? '';
  expectSentence(message);
  for (const fragment of fragments) expect(message).toContain(fragment);
}

describe('checkGivePolicy', () => {
  it('accepts an ordinary give', () => {
    expect(checkGivePolicy(settingsWith(), giveWith())).toBeUndefined();
  });

  describe('the giver', () => {
    it('must be active: a deactivated giver may not give (not_allowed_to_give)', () => {
      const settings = settingsWith();
      expect(checkGivePolicy(settings, giveWith({ giver }))).toBeUndefined();
      const gone = person('Gone', { status: 'deactivated' });
      expectRefusal(
        checkGivePolicy(settings, giveWith({ giver: gone })),
        'not_allowed_to_give',
        'not active',
      );
    });

    it('must not be a bot, and a bot is told so, not that it is inactive (issue 18)', () => {
      const settings = settingsWith();
      const human = person('Hugo', { isBot: false });
      const bot = person('Botty', { isBot: true });
      expect(checkGivePolicy(settings, giveWith({ giver: human }))).toBeUndefined();
      expect(checkGivePolicy(settings, giveWith({ giver: bot }))).toEqual({
        ok: false,
        code: 'not_allowed_to_give',
        message: 'Bots cannot give kudos: kudos are from people, out of their own allowance.',
      });
    });

    it('may be a guest only when guests may participate (guest_excluded)', () => {
      const guest = person('Gus', { isGuest: true });
      expectRefusal(
        checkGivePolicy(settingsWith({ guestsMayParticipate: false }), giveWith({ giver: guest })),
        'guest_excluded',
        'Guests',
        'ask Ana Silva or Li Wei (admins)',
      );
      expect(
        checkGivePolicy(settingsWith({ guestsMayParticipate: true }), giveWith({ giver: guest })),
      ).toBeUndefined();
    });

    describe('who may give', () => {
      const admin = person('Ada', { roles: ['member', 'admin'] }, [7]);
      const plain = person('Pat', { roles: ['member'] }, [8]);
      const cases: Array<[string, PermissionRule, Participant, Participant]> = [
        ['only, by member', { kind: 'only', members: [admin.member.id] }, admin, plain],
        ['only, by group', { kind: 'only', groups: [7] }, admin, plain],
        ['only, by role', { kind: 'only', roles: ['admin'] }, admin, plain],
        [
          'everyone_except, by member',
          { kind: 'everyone_except', members: [admin.member.id] },
          plain,
          admin,
        ],
        ['everyone_except, by group', { kind: 'everyone_except', groups: [7] }, plain, admin],
        ['everyone_except, by role', { kind: 'everyone_except', roles: ['admin'] }, plain, admin],
      ];
      it.each(cases)(
        '%s: the permitted giver gives, the other is refused (not_allowed_to_give)',
        (_label, rule, allowed, refused) => {
          const settings = settingsWith({ whoMayGive: rule });
          expect(checkGivePolicy(settings, giveWith({ giver: allowed }))).toBeUndefined();
          expectRefusal(
            checkGivePolicy(settings, giveWith({ giver: refused })),
            'not_allowed_to_give',
            rule.kind === 'only' ? 'not among them' : 'left out of giving',
            'ask Ana Silva or Li Wei (admins)',
          );
        },
      );
    });
  });

  describe('self-kudos', () => {
    it('giving to yourself alone is refused (self_kudos)', () => {
      const settings = settingsWith();
      expect(checkGivePolicy(settings, giveWith({ recipients: [ravi] }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ recipients: [giver] })),
        'self_kudos',
        'yourself',
      );
    });

    it('yourself among several recipients refuses the whole give and says nobody was credited', () => {
      const settings = settingsWith();
      expect(checkGivePolicy(settings, giveWith({ recipients: [ravi, sofia] }))).toBeUndefined();
      const refusal = checkGivePolicy(settings, giveWith({ recipients: [ravi, giver, sofia] }));
      expectRefusal(refusal, 'self_kudos', 'yourself', 'Nobody was credited');
    });
  });

  it('names at most maxRecipients people: exactly max is accepted, max + 1 is refused (too_many_recipients)', () => {
    const settings = settingsWith({ maxRecipients: 3 });
    expect(
      checkGivePolicy(settings, giveWith({ recipients: [ravi, sofia, tomas] })),
    ).toBeUndefined();
    expectRefusal(
      checkGivePolicy(settings, giveWith({ recipients: [ravi, sofia, tomas, uma] })),
      'too_many_recipients',
      'at most 3',
      'names 4',
    );
  });

  it('says "1 person", "1 character" and "1 point" when a limit is one (issue 18)', () => {
    const settings = settingsWith({
      maxRecipients: 1,
      minReasonLength: 1,
      maxReasonLength: 1,
      minAmount: 1,
      maxAmount: 1,
    });
    const messages = [
      giveWith({ recipients: [ravi, sofia], amountEach: 1, reason: 'x' }),
      giveWith({ recipients: [ravi], amountEach: 1, reason: '' }),
      giveWith({ recipients: [ravi], amountEach: 1, reason: 'xy' }),
      giveWith({ recipients: [ravi], amountEach: 0, reason: 'x' }),
      giveWith({ recipients: [ravi], amountEach: 2, reason: 'x' }),
    ].map((give) => checkGivePolicy(settings, give)?.message);
    expect(messages).toEqual([
      'You can recognize at most 1 person at once; this names 2.',
      'Say what the kudos is for, in at least 1 character.',
      'A reason is at most 1 character; this one is 2.',
      'Kudos are at least 1 point each.',
      'Kudos are at most 1 point each; 2 is more than that.',
    ]);
  });

  describe('each recipient', () => {
    it('must not be a bot (recipient_is_bot), and the message names it', () => {
      const settings = settingsWith();
      const bot = person('Deploybot', { isBot: true });
      expect(checkGivePolicy(settings, giveWith({ recipients: [ravi] }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ recipients: [ravi, bot] })),
        'recipient_is_bot',
        'Deploybot',
        'bot',
      );
    });

    it('must be active (recipient_deactivated), and the message names them', () => {
      const settings = settingsWith();
      const active = person('Vera', { status: 'active' });
      const gone = person('Walter', { status: 'deactivated' });
      expect(checkGivePolicy(settings, giveWith({ recipients: [active] }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ recipients: [active, gone] })),
        'recipient_deactivated',
        'Walter',
        'no longer active',
      );
    });

    it('may be a guest only when guests may participate (guest_excluded), and the message names them', () => {
      const guest = person('Xena', { isGuest: true });
      expectRefusal(
        checkGivePolicy(settingsWith(), giveWith({ recipients: [guest] })),
        'guest_excluded',
        'Xena',
        'guest',
        'ask Ana Silva or Li Wei (admins)',
      );
      expect(
        checkGivePolicy(
          settingsWith({ guestsMayParticipate: true }),
          giveWith({ recipients: [guest] }),
        ),
      ).toBeUndefined();
    });

    describe('who may receive', () => {
      const lead = person('Lena', { roles: ['member', 'hr'] }, [3]);
      const other = person('Omar', { roles: ['member'] }, [4]);
      const cases: Array<[string, PermissionRule, Participant, Participant]> = [
        ['only, by member', { kind: 'only', members: [lead.member.id] }, lead, other],
        ['only, by group', { kind: 'only', groups: [3] }, lead, other],
        ['only, by role', { kind: 'only', roles: ['hr'] }, lead, other],
        [
          'everyone_except, by member',
          { kind: 'everyone_except', members: [lead.member.id] },
          other,
          lead,
        ],
        ['everyone_except, by group', { kind: 'everyone_except', groups: [3] }, other, lead],
        ['everyone_except, by role', { kind: 'everyone_except', roles: ['hr'] }, other, lead],
      ];
      it.each(cases)(
        '%s: the permitted recipient is accepted, the other refused by name (not_allowed_to_receive)',
        (_label, rule, allowed, refused) => {
          const settings = settingsWith({ whoMayReceive: rule });
          expect(checkGivePolicy(settings, giveWith({ recipients: [allowed] }))).toBeUndefined();
          expectRefusal(
            checkGivePolicy(settings, giveWith({ recipients: [allowed, refused] })),
            'not_allowed_to_receive',
            refused.member.displayName,
            rule.kind === 'only' ? 'not among them' : 'left out of receiving',
            'ask Ana Silva or Li Wei (admins)',
          );
        },
      );
    });
  });

  it('gives at least minAmount each: minAmount is accepted, one less is refused (amount_too_small)', () => {
    const settings = settingsWith({ minAmount: 5 });
    expect(checkGivePolicy(settings, giveWith({ amountEach: 5 }))).toBeUndefined();
    expectRefusal(
      checkGivePolicy(settings, giveWith({ amountEach: 4 })),
      'amount_too_small',
      'at least 5',
    );
  });

  it('gives at most maxAmount each: maxAmount is accepted, one more is refused (amount_too_large)', () => {
    const settings = settingsWith({ maxAmount: 100 });
    expect(checkGivePolicy(settings, giveWith({ amountEach: 100 }))).toBeUndefined();
    expectRefusal(
      checkGivePolicy(settings, giveWith({ amountEach: 101 })),
      'amount_too_large',
      'at most 100',
      '101',
    );
  });

  it('says "1 point", not "1 points", when the range ends at one (issue 18)', () => {
    const one = settingsWith({ minAmount: 2, maxAmount: 1 });
    expect(checkGivePolicy(one, giveWith({ amountEach: 2 }))).toMatchObject({
      code: 'amount_too_large',
      message: 'Kudos are at most 1 point each; 2 is more than that.',
    });
    const least = settingsWith({ minAmount: 1 });
    expect(checkGivePolicy(least, giveWith({ amountEach: 0 }))).toMatchObject({
      code: 'amount_too_small',
      message: 'Kudos are at least 1 point each.',
    });
  });

  describe('a company value, when required', () => {
    it('with a values list: one named value is accepted, none is refused listing the values (value_required)', () => {
      const settings = settingsWith({ valueRequired: true, values: ['ownership', 'teamwork'] });
      expect(checkGivePolicy(settings, giveWith({ values: ['teamwork'] }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ values: [] })),
        'value_required',
        '#ownership',
        '#teamwork',
      );
      // Not required: no value is fine.
      expect(
        checkGivePolicy(settingsWith({ values: ['ownership'] }), giveWith({ values: [] })),
      ).toBeUndefined();
    });

    it('without a values list: any hashtag is accepted, none is refused with an example (value_required)', () => {
      const settings = settingsWith({ valueRequired: true, values: [] });
      expect(checkGivePolicy(settings, giveWith({ values: ['kindness'] }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ values: [] })),
        'value_required',
        'hashtag',
        '#',
      );
    });
  });

  describe('the reason', () => {
    it('has at least minReasonLength characters: exactly that many is accepted, one fewer refused (reason_too_short)', () => {
      const settings = settingsWith({ minReasonLength: 10 });
      expect(checkGivePolicy(settings, giveWith({ reason: 'abcdefghij' }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ reason: 'abcdefghi' })),
        'reason_too_short',
        'at least 10 characters',
      );
      // Surrounding spaces are not part of the reason.
      expectRefusal(
        checkGivePolicy(settings, giveWith({ reason: '   abcdefghi   ' })),
        'reason_too_short',
        '10',
      );
    });

    it('counts characters as a person would (code points), not UTF-16 units, for emoji and accents', () => {
      const settings = settingsWith({ minReasonLength: 5 });
      // Five emoji are five characters though ten UTF-16 units; four are refused though eight units.
      expect('🎉🎉🎉🎉'.length).toBe(8);
      expect(checkGivePolicy(settings, giveWith({ reason: '🎉🎉🎉🎉🎉' }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ reason: '🎉🎉🎉🎉' })),
        'reason_too_short',
        'at least 5 characters',
      );
      expect(checkGivePolicy(settings, giveWith({ reason: 'Merci' }))).toBeUndefined();
      expect(checkGivePolicy(settings, giveWith({ reason: 'ありがとう' }))).toBeUndefined();
      expectRefusal(
        checkGivePolicy(settings, giveWith({ reason: 'déjà' })),
        'reason_too_short',
        '5',
      );
    });

    it('has at most maxReasonLength characters, counted as people count them; the refusal names the limit and the length (reason_too_long)', () => {
      const settings = settingsWith({ maxReasonLength: 1000 });
      expect(checkGivePolicy(settings, giveWith({ reason: '🎉'.repeat(1000) }))).toBeUndefined();
      expect(checkGivePolicy(settings, giveWith({ reason: ` ${'a'.repeat(1000)} ` }))).toBe(
        undefined,
      );
      expect(checkGivePolicy(settings, giveWith({ reason: 'a'.repeat(1001) }))).toEqual({
        ok: false,
        code: 'reason_too_long',
        message: 'A reason is at most 1,000 characters; this one is 1,001.',
      });
      expect(
        checkGivePolicy(settings, giveWith({ reason: 'x'.repeat(1024 * 1024) }))?.message,
      ).toBe('A reason is at most 1,000 characters; this one is 1,048,576.');
    });
  });

  it('reports the first broken rule in the order giver, self, count, recipients, amount, value, reason', () => {
    const settings = settingsWith({
      maxRecipients: 2,
      minAmount: 5,
      maxAmount: 50,
      valueRequired: true,
      values: ['teamwork'],
      minReasonLength: 10,
    });
    const bot = person('Buildbot', { isBot: true });
    // The giver deactivated, and also naming themselves.
    const deactivatedGiver = {
      ...giver,
      member: { ...giver.member, status: 'deactivated' as const },
    };
    const everythingWrong: ProposedGive = {
      giver: deactivatedGiver,
      recipients: [giver, bot, ravi],
      amountEach: 1,
      reason: 'hi',
      values: [],
    };
    const steps: Array<[Partial<ProposedGive>, GiveRefusal['code'] | undefined]> = [
      [{}, 'not_allowed_to_give'],
      [{ giver }, 'self_kudos'],
      [{ recipients: [bot, ravi, sofia] }, 'too_many_recipients'],
      [{ recipients: [bot, ravi] }, 'recipient_is_bot'],
      [{ recipients: [ravi, sofia] }, 'amount_too_small'],
      [{ amountEach: 51 }, 'amount_too_large'],
      [{ amountEach: 50 }, 'value_required'],
      [{ values: ['teamwork'] }, 'reason_too_short'],
      [{ reason: 'ten chars!' }, undefined],
    ];
    let give = everythingWrong;
    const codes: Array<string | undefined> = [];
    for (const [fix] of steps) {
      give = { ...give, ...fix };
      codes.push(checkGivePolicy(settings, give)?.code);
    }
    expect(codes).toEqual(steps.map(([, code]) => code));
  });
});

describe('matchCompanyValues', () => {
  it('with a values list, keeps only the listed hashtags, in message order', () => {
    const settings = settingsWith({ values: ['ownership', 'teamwork'] });
    expect(matchCompanyValues(settings, ['teamwork', 'friday', 'ownership'])).toEqual([
      'teamwork',
      'ownership',
    ]);
    expect(matchCompanyValues(settings, ['friday', 'coffee'])).toEqual([]);
    expect(matchCompanyValues(settings, [])).toEqual([]);
  });

  it('with an empty list, keeps every hashtag', () => {
    const settings = settingsWith({ values: [] });
    const hashtags = ['teamwork', 'friday'];
    const matched = matchCompanyValues(settings, hashtags);
    expect(matched).toEqual(['teamwork', 'friday']);
    expect(matched).not.toBe(hashtags);
  });
});

describe('whoToAsk', () => {
  it('names the admins, up to three, and says they are admins', () => {
    expect(whoToAsk([])).toBe('an admin');
    expect(whoToAsk(['Ana Silva'])).toBe('Ana Silva (admin)');
    expect(whoToAsk(['Ana Silva', 'Li Wei'])).toBe('Ana Silva or Li Wei (admins)');
    expect(whoToAsk(['Ana', 'Bo', 'Cy'])).toBe('Ana, Bo or Cy (admins)');
    expect(whoToAsk(['Ana', 'Bo', 'Cy', 'Di'])).toBe('Ana, Bo, Cy or another admin');
  });

  it('is what a refusal says when the organization has no admin yet', () => {
    const refusal = checkGivePolicy(
      settingsWith({ adminNames: [], whoMayGive: { kind: 'only' } }),
      giveWith({}),
    );
    expect(refusal?.message).toBe(
      'Giving kudos is limited to some people here, and you are not among them; ask an admin if that seems wrong.',
    );
  });
});
