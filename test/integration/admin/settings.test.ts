import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  changeProgramSettings,
  type ProgramSettingsChange,
  readProgramSettings,
} from '../../../src/admin/program-settings.ts';
import { KudosAnnouncements } from '../../../src/core/announcements.ts';
import { RecipientNotifications } from '../../../src/core/notifier.ts';
import type { KudosGiven } from '../../../src/core/reply.ts';
import type { Database } from '../../../src/db/database.ts';
import type { Member } from '../../../src/directory/members.ts';
import { resetAllowances } from '../../../src/jobs/allowance-reset.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import { InlineJobs } from '../../../src/jobs/inline-jobs.ts';
import {
  KUDOS_GIVEN,
  kudosNotificationHandlers,
} from '../../../src/notifications/kudos-notifications.ts';
import { allowancePeriodAt } from '../../../src/recognition/allowance-period.ts';
import { AllowancePeriods } from '../../../src/recognition/allowances.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { balancesOf } from '../../support/recognition-fixture.ts';
import { createSettingsFixture, type SettingsFixture } from '../../support/settings-fixture.ts';

const logger = pino({ level: 'silent' });

const TEAM = {
  Ana: { roles: ['member', 'admin'] as Array<'member' | 'admin' | 'hr'> },
  Li: { roles: ['member', 'admin'] as Array<'member' | 'admin' | 'hr'> },
  Hana: { roles: ['member', 'hr'] as Array<'member' | 'admin' | 'hr'> },
  Bob: {},
  Cy: {},
  Dee: {},
};

describe.each(DIALECTS)('program settings on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const fixture = (options: Partial<Parameters<typeof createSettingsFixture>[1]> = {}) =>
    createSettingsFixture(db, { members: TEAM, timezone: 'UTC', ...options });

  /** Runs an admin command as Ana and expects it to be done. */
  async function change(f: SettingsFixture, text: string) {
    const reply = await f.run('Ana', `admin settings ${text}`);
    expect(reply, reply.text).toMatchObject({ outcome: 'ok' });
    expect(reply.text).toMatch(/^Settings changed; they hold from now on\./);
    return reply;
  }

  describe('each change holds on the very next give', () => {
    it('the most points per kudos', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy 40 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'max=30');
      expect(await f.run('Bob', '@Cy 40 for the launch')).toMatchObject({
        code: 'amount_too_large',
        text: 'Kudos are at most 30 points each; 40 is more than that.',
      });
      expect(await f.run('Bob', '@Cy 30 for the launch')).toMatchObject({ outcome: 'ok' });
    });

    it('the fewest points, and the default amount', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy 2 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'min=5 default=7');
      expect(await f.run('Bob', '@Cy 2 for the launch')).toMatchObject({
        code: 'amount_too_small',
      });
      expect(await f.run('Bob', '@Dee for the launch')).toMatchObject({ outcome: 'ok' });
      expect((await balancesOf(f, 'Dee')).earned).toBe(7);
    });

    it('a required company value from a new list', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy 5 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'values="Teamwork, #ownership" value-required=yes');
      expect(await f.run('Bob', '@Cy 5 for the launch')).toMatchObject({
        code: 'value_required',
        text: 'Name a company value with a hashtag: #ownership, #teamwork.',
      });
      expect(await f.run('Bob', '@Cy 5 for the launch #ownership')).toMatchObject({
        outcome: 'ok',
      });
    });

    it('the shortest reason', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy 5 for help')).toMatchObject({ outcome: 'ok' });
      await change(f, 'min-reason=20');
      expect(await f.run('Bob', '@Cy 5 for help')).toMatchObject({
        code: 'reason_too_short',
        text: 'Say what the kudos is for, in at least 20 characters.',
      });
    });

    it('the daily cap per pair, and none again', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy 10 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'pair-cap=15');
      expect(await f.run('Bob', '@Cy 10 for the launch')).toMatchObject({
        code: 'daily_pair_cap',
      });
      await change(f, 'pair-cap=none');
      expect(await f.run('Bob', '@Cy 10 for the launch')).toMatchObject({ outcome: 'ok' });
    });

    it('the most people per kudos', async () => {
      const f = await fixture();
      expect(await f.run('Bob', '@Cy @Dee 5 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'max-recipients=1');
      expect(await f.run('Bob', '@Cy @Dee 5 for the launch')).toMatchObject({
        code: 'too_many_recipients',
      });
    });

    it('a member allowance override, for a period that opens after it', async () => {
      const f = await fixture();
      // Cy gives first, so the settings are cached when they change.
      expect(await f.run('Cy', '@Dee 5 for the launch')).toMatchObject({ outcome: 'ok' });
      await change(f, 'member-allowance=@Bob:12 role-allowance=hr:40');
      expect(await f.run('Bob', '@Cy 15 for the launch')).toMatchObject({
        code: 'insufficient_allowance',
      });
      expect(await f.run('Bob', '@Cy 12 for the launch')).toMatchObject({ outcome: 'ok' });
      expect(await f.run('Hana', '@Cy 40 for the launch')).toMatchObject({ outcome: 'ok' });
      expect((await balancesOf(f, 'Hana')).allowance).toBe(0);
      await change(f, 'member-allowance=@Bob:none');
      expect((await readProgramSettings(db, f.organizationId)).memberAllowances).toEqual([]);
    });

    it('guests taking part', async () => {
      const f = await fixture({ members: { ...TEAM, Gus: { isGuest: true } } });
      expect(await f.run('Bob', '@Gus 5 for the launch')).toMatchObject({
        code: 'guest_excluded',
        text: 'Gus is a guest, and guests cannot receive kudos here; ask Ana or Li (admins) if that should change.',
      });
      await change(f, 'guests=yes');
      expect(await f.run('Bob', '@Gus 5 for the launch')).toMatchObject({ outcome: 'ok' });
    });
  });

  it('shows every setting to an admin, by the key that changes it', async () => {
    const f = await fixture();
    await change(
      f,
      'member-allowance=@Bob:12 budget=250.5 hold-days=3 channel=<#C0ANNOUNCE|kudos>',
    );
    const reply = await f.run('Li', 'admin settings');
    expect(reply.outcome).toBe('ok');
    for (const line of [
      'Allowance per period (allowance): 100 points',
      'Allowance by person (member-allowance): Bob: 12 points',
      'Time zone (timezone): UTC',
      'Announcement channel (channel): C0ANNOUNCE',
      'Monthly redemption budget (budget): 250.50 EUR',
      'A redemption waits for HR (hold-days): 3 days',
    ]) {
      expect(reply.text).toContain(line);
    }
    expect(reply.blocks[0]).toEqual({ kind: 'heading', text: 'Program settings' });
  });

  it('audits a change with the settings it changed, before and after', async () => {
    const f = await fixture();
    const reply = await change(f, 'max=30 timezone=Europe/Lisbon rate=0.005 values=teamwork');
    expect(reply.text.split('\n').slice(1)).toEqual([
      'Time zone (timezone): UTC → Europe/Lisbon',
      'Most points per kudos (max): 100 → 30',
      'Company values (values): none → #teamwork',
      'A point is worth (rate): 0.01 EUR → 0.005 EUR',
    ]);
    expect(await f.audit('settings.change')).toEqual([
      {
        outcome: 'done',
        target: null,
        before: { timezone: 'UTC', maxAmount: 100, values: [], pointValueMilli: 1000 },
        after: {
          timezone: 'Europe/Lisbon',
          maxAmount: 30,
          values: ['teamwork'],
          pointValueMilli: 500,
        },
      },
    ]);
    // The same values again change nothing and write nothing.
    expect((await f.run('Ana', 'admin settings max=30')).text).toBe(
      'Nothing changed: the settings were already so.',
    );
    expect(await f.audit('settings.change')).toHaveLength(1);
  });

  it('names the reactions that give points and the grace period, audited, and turns them off', async () => {
    const f = await fixture();
    const reply = await change(f, 'reactions=:taco::1,star:5 reaction-grace=5');
    expect(reply.text.split('\n').slice(1)).toEqual([
      'Reactions that give points (reactions): none → :star: 5 points, :taco: 1 point',
      'A removed reaction takes its points back within (reaction-grace): 10 minutes → 5 minutes',
    ]);
    expect(await f.audit('settings.change')).toEqual([
      {
        outcome: 'done',
        target: null,
        before: { reactionPoints: {}, reactionGraceMinutes: 10 },
        after: { reactionPoints: { star: 5, taco: 1 }, reactionGraceMinutes: 5 },
      },
    ]);
    const { settings } = await f.admin.settings.load(f.organizationId);
    expect([...settings.reactionPoints]).toEqual([
      ['star', 5],
      ['taco', 1],
    ]);
    await change(f, 'reactions=none');
    expect((await readProgramSettings(db, f.organizationId)).reactionPoints).toEqual({});
    expect((await f.run('Bob', 'admin settings reactions=taco:50')).code).toBe('not_admin');
    expect((await readProgramSettings(db, f.organizationId)).reactionPoints).toEqual({});
  });

  it('turns boosts off and on again, audited; only an admin may', async () => {
    const f = await fixture();
    expect((await readProgramSettings(db, f.organizationId)).boostsAllowed).toBe(true);
    const reply = await change(f, 'boosts=no');
    expect(reply.text.split('\n').slice(1)).toEqual([
      'Colleagues may boost a kudos (boosts): yes → no',
    ]);
    expect(await f.audit('settings.change')).toEqual([
      {
        outcome: 'done',
        target: null,
        before: { boostsAllowed: true },
        after: { boostsAllowed: false },
      },
    ]);
    expect((await f.admin.settings.load(f.organizationId)).settings.boostsAllowed).toBe(false);
    expect((await f.run('Bob', 'admin settings boosts=yes')).code).toBe('not_admin');
    expect((await f.run('Ana', 'admin settings boosts=maybe')).text).toMatch(
      /Whether colleagues may boost a kudos is yes or no\./,
    );
    expect((await readProgramSettings(db, f.organizationId)).boostsAllowed).toBe(false);
    await change(f, 'boosts=yes');
    expect((await readProgramSettings(db, f.organizationId)).boostsAllowed).toBe(true);
  });

  describe('a bad value', () => {
    const cases: Array<[string, string]> = [
      ['timezone=Mars/Olympus', '“Mars/Olympus” is not a time zone I know'],
      ['currency=eur', 'A currency is three capital letters, like EUR or USD; “eur” is not.'],
      ['currency=XQZ', 'XQZ is not a currency I know'],
      ['min=60 max=50', 'The minimum per kudos (60) is more than the maximum (50).'],
      [
        'default=500',
        'The default amount (500) must be between the minimum (1) and the maximum (100).',
      ],
      ['allowance=-5', 'The allowance is a whole number of points from 0 to 1000000; “-5” is not.'],
      [
        'max=lots',
        'The maximum per kudos is a whole number of points from 1 to 1000000; “lots” is not.',
      ],
      [
        'cadence=daily',
        'The allowance resets weekly, monthly or quarterly; “daily” is none of those.',
      ],
      ['rollover-cap=-1', 'The rollover cap is a whole number'],
      ['prorate=perhaps', 'Whether to prorate new members is yes or no.'],
      ['max-recipients=0', 'The most people one kudos may name is from 1 to 100'],
      ['pair-cap=0', 'The daily cap per pair is a whole number of points from 1'],
      ['values="customer focus"', '“customer focus” is not.'],
      ['min-reason=-3', 'The shortest reason is from 0 to 500 characters; “-3” is not.'],
      ['leaver-days=-1', 'Leavers may redeem for 0 to 3650 days after they leave; “-1” is not.'],
      ['rate=-0.01', 'What a point is worth is an amount of money of at least 0; “-0.01” is not.'],
      [
        'budget=12.345',
        'The monthly budget is an amount of money of at least 0, or none; “12.345” is not.',
      ],
      ['hold-days=0', 'A redemption may wait for HR from 1 hour to 365 days'],
      [
        'reactions=taco:0',
        'A reaction gives a whole number of points from 1 to 100; “0” for :taco: is not.',
      ],
      ['reactions=taco', 'Write the reactions that give points as reactions=taco:1,star:5'],
      ['reactions=taco!:1', "A reaction is an emoji's name, like taco or star; “taco!” is not."],
      ['reaction-grace=-1', 'A removed reaction takes its points back within 0 to 1440 minutes'],
      ['role-allowance=boss:5', '“boss” is not a role; roles are member, admin and hr.'],
      ['role-allowance=hr', "Write a role's allowance as role-allowance=hr:200"],
      ['member-allowance=@Nobody:5', 'I do not know who @Nobody is.'],
      [
        'member-allowance=@Bob:-5',
        "A member's allowance is a whole number of points from 0 to 1000000, or none",
      ],
      ['colour=blue', '“colour” is not a setting; the settings are timezone, currency'],
      ['max=50 please', 'I could not read “please”'],
    ];
    it.each(cases)(
      '“%s” is refused with its sentence, and nothing changes',
      async (text, sentence) => {
        const f = await fixture();
        const before = await readProgramSettings(db, f.organizationId);
        const reply = await f.run('Ana', `admin settings ${text} guests=yes`);
        expect(reply.outcome === 'refused' || reply.outcome === 'usage').toBe(true);
        expect(reply.text).toContain(sentence);
        expect(await readProgramSettings(db, f.organizationId)).toEqual(before);
        expect((await f.audit('settings.change')).filter((e) => e.outcome === 'done')).toEqual([]);
      },
    );

    it('names every bad value of one command', async () => {
      const f = await fixture();
      const reply = await f.run('Ana', 'admin settings timezone=Nowhere currency=eur foo=1 max=0');
      expect(reply).toMatchObject({ outcome: 'refused', code: 'invalid_setting' });
      expect(reply.text).toBe(
        '“foo” is not a setting; the settings are timezone, currency, allowance, cadence, rollover-cap, prorate, default, min, max, max-recipients, pair-cap, values, value-required, min-reason, max-reason, channel, guests, leaver-days, reactions, reaction-grace, boosts, rate, budget, hold-days, role-allowance and member-allowance. “Nowhere” is not a time zone I know; use a name like Europe/Lisbon or America/New_York. A currency is three capital letters, like EUR or USD; “eur” is not. The maximum per kudos is a whole number of points from 1 to 1000000; “0” is not. Nothing was changed.',
      );
    });

    it('over the API: an override for a member of another organization is refused', async () => {
      const f = await fixture();
      const other = await fixture();
      const stranger = other.members.Bob as Member;
      const before = await readProgramSettings(db, f.organizationId);
      const result = await changeProgramSettings(f.admin, f.actor('Ana'), {
        maxAmount: 42,
        memberAllowances: [{ memberId: stranger.id, amount: 5 }],
      });
      expect(result).toEqual({
        ok: false,
        code: 'unknown_member',
        message: `There is no member ${stranger.id} here, so no allowance can be set for them.`,
      });
      expect(await readProgramSettings(db, f.organizationId)).toEqual(before);
    });
  });

  describe('someone who is not an admin', () => {
    it.each(['Bob', 'Hana'])(
      '%s is refused, audited as refused, and nothing changes',
      async (who) => {
        const f = await fixture();
        const before = await readProgramSettings(db, f.organizationId);
        const reply = await f.run(who, 'admin settings max=5 cadence=weekly');
        expect(reply).toMatchObject({
          outcome: 'refused',
          code: 'not_admin',
          text: "Only admins can change the program's settings; ask an admin if this needs doing.",
        });
        expect(await f.run(who, 'admin settings max=lots')).toMatchObject({ code: 'not_admin' });
        expect(await f.run(who, 'admin settings max=5 please')).toMatchObject({
          code: 'not_admin',
        });
        expect(await f.run(who, 'admin settings')).toMatchObject({ code: 'not_admin' });
        expect(await readProgramSettings(db, f.organizationId)).toEqual(before);
        expect(await f.audit('settings.change')).toEqual([
          {
            outcome: 'refused',
            target: null,
            before: null,
            after: { maxAmount: 5, allowance: { cadence: 'weekly' } },
          },
          { outcome: 'refused', target: null, before: null, after: { maxAmount: 'lots' } },
          { outcome: 'refused', target: null, before: null, after: { text: 'max=5 please' } },
        ]);
        expect(await f.audit('settings.read')).toEqual([
          expect.objectContaining({ outcome: 'refused' }),
        ]);
      },
    );
  });

  describe('the reset schedule on real Redis', () => {
    const prefixes: string[] = [];
    const closing: Array<{ close(): Promise<void> }> = [];
    afterEach(async () => {
      for (const item of closing.splice(0)) await item.close();
      const redis = new Redis(inject('redisUrl'));
      for (const prefix of prefixes.splice(0)) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    });

    it('follows a cadence change and a time zone change, and nothing else', async () => {
      const prefix = `test-${randomUUID()}`;
      prefixes.push(prefix);
      const jobs = new BullJobs({ url: inject('redisUrl'), prefix, logger });
      const queue = new Queue('allowance', { connection: { url: inject('redisUrl') }, prefix });
      closing.push(jobs, queue);
      const f = await fixture({ jobs });
      const id = `allowance-reset-${f.organizationId}`;

      await change(f, 'max=50');
      expect(await queue.getJobSchedulers()).toEqual([]);

      await change(f, 'cadence=weekly');
      expect(await queue.getJobSchedulers()).toEqual([
        expect.objectContaining({ key: id, pattern: '1 0 * * 1', tz: 'UTC' }),
      ]);

      await change(f, 'timezone=America/New_York');
      const moved = await queue.getJobSchedulers();
      expect(moved).toEqual([
        expect.objectContaining({ key: id, pattern: '1 0 * * 1', tz: 'America/New_York' }),
      ]);
      const next = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'America/New_York',
        weekday: 'long',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(Number(moved[0]?.next)));
      expect(next).toBe('Monday 00:01');

      await change(f, 'cadence=quarterly timezone=Asia/Tokyo');
      expect(await queue.getJobSchedulers()).toEqual([
        expect.objectContaining({ key: id, pattern: '1 0 1 1,4,7,10 *', tz: 'Asia/Tokyo' }),
      ]);
    });
  });

  describe('a cadence or time zone change within a period', () => {
    async function changed(f: SettingsFixture, change: ProgramSettingsChange) {
      const result = await changeProgramSettings(f.admin, f.actor('Ana'), change);
      expect(result.ok, result.ok ? '' : result.message).toBe(true);
    }

    /** Opens Bob's period at an instant, as the reset job or as his first give would. */
    function opener(f: SettingsFixture, how: 'the reset job' | 'a first give') {
      return async (iso: string) => {
        const at = new Date(iso);
        if (how === 'the reset job') {
          await resetAllowances(db, f.services, f.organizationId, { at });
          return;
        }
        const { settings } = await f.services.settings.load(f.organizationId);
        const period = allowancePeriodAt(at, settings.allowanceCadence, settings.timezone);
        await new AllowancePeriods(f.services.ledger).open(
          settings,
          f.members.Bob as Member,
          period,
        );
      };
    }

    async function grantsOf(f: SettingsFixture) {
      const accounts = await f.services.ledger.memberAccounts(
        f.organizationId,
        (f.members.Bob as Member).id,
      );
      const rows = await db
        .selectFrom('ledger_transfers')
        .select('amount')
        .where('credit_account_id', '=', accounts.allowance.id)
        .where('kind', '=', 'allowance_grant')
        .orderBy('id')
        .execute();
      return rows.map((row) => row.amount);
    }

    it.each(['the reset job', 'a first give'] as const)(
      'switching back and forth never grants more within a span than its allowance (%s)',
      async (how) => {
        const f = await fixture();
        const open = opener(f, how);
        const allowance = async () => (await balancesOf(f, 'Bob')).allowance;
        // 2026-06-01 is a Monday: weekly allowances of 25 for the first two weeks.
        await changed(f, { allowance: { amount: 25, cadence: 'weekly' } });
        await open('2026-06-02T12:00:00Z');
        await open('2026-06-09T12:00:00Z');
        expect(await allowance()).toBe(25);
        // Monthly from the 10th: June's 100, less the 50 already granted in June.
        await changed(f, { allowance: { amount: 100, cadence: 'monthly' } });
        await open('2026-06-10T12:00:00Z');
        expect(await allowance()).toBe(75);
        // Back and forth within the same week and month: nothing more.
        await changed(f, { allowance: { amount: 25, cadence: 'weekly' } });
        await open('2026-06-11T12:00:00Z');
        await changed(f, { allowance: { amount: 100, cadence: 'monthly' } });
        await open('2026-06-12T12:00:00Z');
        await changed(f, { allowance: { amount: 25, cadence: 'weekly' } });
        await open('2026-06-13T12:00:00Z');
        expect(await allowance()).toBe(75);
        expect(await grantsOf(f)).toEqual([25, 25, 50]);
        // A new week starts as weeks do: what is left expires and 25 is granted.
        await open('2026-06-15T12:00:00Z');
        expect(await allowance()).toBe(25);
        expect(await grantsOf(f)).toEqual([25, 25, 50, 25]);
      },
    );

    it.each(['the reset job', 'a first give'] as const)(
      'a time zone change never opens a period twice (%s)',
      async (how) => {
        const f = await fixture();
        const open = opener(f, how);
        await open('2026-06-30T20:00:00Z');
        // In Auckland it is already July: July opens early, once.
        await changed(f, { timezone: 'Pacific/Auckland' });
        await open('2026-06-30T20:00:00Z');
        await changed(f, { timezone: 'UTC' });
        await open('2026-06-30T21:00:00Z');
        await open('2026-07-01T01:00:00Z');
        expect(await grantsOf(f)).toEqual([100, 100]);
        expect((await balancesOf(f, 'Bob')).allowance).toBe(100);
      },
    );
  });

  describe('leavers', () => {
    async function leaverFixture() {
      const f = await fixture();
      const item = await f.admin.desk.catalog.create(f.organizationId, {
        name: `Mug ${randomUUID()}`,
        pointsCost: 10,
        priceMinor: 500,
      });
      if (!item.ok) throw new Error(item.message);
      // Bob and Cy earn points, then leave: Bob ten days ago, Cy forty.
      expect(await f.run('Ana', '@Bob @Cy 30 for everything')).toMatchObject({ outcome: 'ok' });
      for (const [name, days] of [
        ['Bob', 10],
        ['Cy', 40],
      ] as const) {
        await db
          .updateTable('members')
          .set({
            status: 'deactivated',
            deactivated_at: new Date(Date.now() - days * 86_400_000),
          })
          .where('id', '=', (f.members[name] as Member).id)
          .execute();
      }
      const redeem = (name: string) => {
        const member = f.members[name] as Member;
        return f.admin.desk.redeem({
          organizationId: f.organizationId,
          memberId: member.id,
          requestedBy: member.id,
          itemId: item.value.id,
          requestKey: randomUUID(),
        });
      };
      return { f, redeem };
    }

    it('may not redeem at all while the window is 0 days', async () => {
      const { redeem } = await leaverFixture();
      expect(await redeem('Bob')).toEqual({
        ok: false,
        code: 'member_left',
        message:
          'Your account is no longer active here, and people who leave cannot redeem their points.',
      });
      expect(await redeem('Dee')).toMatchObject({ ok: false, code: 'not_enough_points' });
    });

    it('may redeem within leaver-days of leaving, and not after', async () => {
      const { f, redeem } = await leaverFixture();
      await change(f, 'leaver-days=30');
      expect(await redeem('Bob')).toMatchObject({ ok: true });
      const refused = await redeem('Cy');
      expect(refused).toMatchObject({ ok: false, code: 'member_left' });
      expect(!refused.ok && refused.message).toMatch(
        /^People who leave may redeem their points for 30 days; yours ended on \w{3} \d{1,2} \w{3}\.$/,
      );
      await change(f, 'leaver-days=5');
      expect(await redeem('Bob')).toMatchObject({ ok: false, code: 'member_left' });
      // One day is one day, not "1 days" (issue 18).
      await change(f, 'leaver-days=1');
      const oneDay = await redeem('Cy');
      expect(!oneDay.ok && oneDay.message).toMatch(
        /^People who leave may redeem their points for 1 day; yours ended on /,
      );
    });
  });

  it('announces every kudos in the announcement channel too, once', async () => {
    const jobs = new InlineJobs(logger);
    const f = await fixture({ jobs });
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    const celebrated: Array<string | null> = [];
    announcements.celebrateOn('local', async (event: KudosGiven) => {
      celebrated.push(event.channel);
    });
    jobs.work('notifications', kudosNotificationHandlers(db, jobs, announcements, logger));
    const give = async () => {
      const reply = await f.run('Bob', '@Cy 5 for the launch');
      const [event] = reply.events;
      if (!event) throw new Error(reply.text);
      await jobs.add('notifications', KUDOS_GIVEN, { recognitionId: event.recognitionId });
      await jobs.settled();
    };
    await give();
    expect(celebrated).toEqual(['test']);
    await change(f, 'channel=C0ANNOUNCE');
    await give();
    expect(celebrated.slice(1).sort()).toEqual(['C0ANNOUNCE', 'test']);
    await change(f, 'channel=none');
    await give();
    expect(celebrated.slice(3)).toEqual(['test']);
    await jobs.close();
  });
});
