import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import {
  createRewardsFixture,
  type RewardsFixture,
  redemptionIdIn,
} from '../../support/rewards-fixture.ts';
import { rewardsInvariantBreaches, rewardsSnapshot } from '../../support/rewards-invariants.ts';

describe.each(DIALECTS)('the redemption lifecycle on %s', (dialect) => {
  let db: Database;
  const fixtures: RewardsFixture[] = [];
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.jobs.close()));
    await db?.destroy();
  });

  /** A new organization: Ana and Ben redeem, Hal is HR, Ada is an admin but not HR. */
  async function organization() {
    const f = await createRewardsFixture(db, {
      members: {
        Ana: {},
        Ben: {},
        Hal: { roles: ['member', 'hr'] },
        Ada: { roles: ['member', 'admin'] },
      },
    });
    fixtures.push(f);
    return f;
  }

  async function stockOf(f: RewardsFixture, itemId: number) {
    const item = await f.desk.catalog.find(f.organizationId, itemId);
    if (!item.ok) throw new Error(item.message);
    return item.value.stock;
  }

  async function statusOf(f: RewardsFixture, redemptionId: number) {
    return (await f.desk.redemptions.find(f.organizationId, redemptionId))?.status;
  }

  async function chargesOf(f: RewardsFixture) {
    return f.db
      .selectFrom('billing_charges')
      .select(['redemption_id', 'amount_minor', 'currency'])
      .where('organization_id', '=', f.organizationId)
      .orderBy('id')
      .execute();
  }

  async function expectConsistent(f: RewardsFixture) {
    expect(await rewardsInvariantBreaches(f.db, f.organizationId)).toEqual([]);
  }

  /** Ana with 500 points and a 200-point mug (5.50 EUR, 3 in stock) she has redeemed. */
  async function anaRedeemedAMug() {
    const f = await organization();
    await f.earn('Ana', 500);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
    const reply = await f.command('Ana', 'redeem mug');
    expect(reply.outcome).toBe('ok');
    const id = redemptionIdIn(reply);
    expect(await f.points('Ana')).toEqual({ available: 300, held: 200 });
    expect(await stockOf(f, mug)).toBe(2);
    expect(await statusOf(f, id)).toBe('held');
    expect(await chargesOf(f)).toEqual([]);
    await expectConsistent(f);
    return { f, mug, id };
  }

  describe('transitions', () => {
    it('held → fulfilled: the hold is posted, the points are redeemed, one charge', async () => {
      const { f, mug, id } = await anaRedeemedAMug();
      const reply = await f.command('Hal', `hr fulfil ${id}`);
      expect(reply.text).toBe(`Redemption #${id} (“Mug”) is fulfilled; 5.50 EUR is billed.`);
      const redemption = await f.desk.redemptions.find(f.organizationId, id);
      expect(redemption).toMatchObject({
        status: 'fulfilled',
        resolvedBy: f.members.Hal?.id,
        memberId: f.members.Ana?.id,
      });
      expect(await f.points('Ana')).toEqual({ available: 300, held: 0 });
      // The mug went to Ana: its stock stays taken.
      expect(await stockOf(f, mug)).toBe(2);
      expect(await chargesOf(f)).toEqual([
        { redemption_id: id, amount_minor: 550, currency: 'EUR' },
      ]);
      await expectConsistent(f);
      expect((await f.command('Ana', 'redemptions')).text).toBe(
        `#${id} Mug, 200 points: fulfilled`,
      );
    });

    it('held → rejected: HR says why, the points and the stock come back, no charge', async () => {
      const { f, mug, id } = await anaRedeemedAMug();
      const before = await rewardsSnapshot(f);
      // A rejection without a reason is refused and changes nothing.
      const bare = await f.command('Hal', `hr reject ${id}`);
      expect(bare.outcome).toBe('usage');
      expect(bare.text).toMatch(/^Name the redemption and say why: hr reject <id> <reason>\./);
      expect(await rewardsSnapshot(f)).toEqual(before);

      const reply = await f.command('Hal', `hr reject ${id} the supplier ran out`);
      expect(reply.text).toBe(`Redemption #${id} (“Mug”) is rejected; 200 points went back.`);
      expect(await f.desk.redemptions.find(f.organizationId, id)).toMatchObject({
        status: 'rejected',
        reason: 'the supplier ran out',
        resolvedBy: f.members.Hal?.id,
      });
      expect(await f.points('Ana')).toEqual({ available: 500, held: 0 });
      expect(await stockOf(f, mug)).toBe(3);
      expect(await chargesOf(f)).toEqual([]);
      await expectConsistent(f);
      expect((await f.command('Ana', 'redemptions')).text).toBe(
        `#${id} Mug, 200 points: rejected (the supplier ran out)`,
      );
    });

    it('held → cancelled by the member: the points and the stock come back, no charge', async () => {
      const { f, mug, id } = await anaRedeemedAMug();
      const listed = await f.command('Ana', 'redemptions');
      expect(listed.text).toBe(`#${id} Mug, 200 points: waiting for HR`);
      const reply = await f.command('Ana', `redemptions cancel ${id}`);
      expect(reply.text).toBe(`Redemption #${id} is cancelled; your 200 points are back to spend.`);
      expect(await f.desk.redemptions.find(f.organizationId, id)).toMatchObject({
        status: 'cancelled',
        resolvedBy: f.members.Ana?.id,
      });
      expect(await f.points('Ana')).toEqual({ available: 500, held: 0 });
      expect(await stockOf(f, mug)).toBe(3);
      expect(await chargesOf(f)).toEqual([]);
      await expectConsistent(f);
    });

    it('held → expired, only once its time is up; the points and the stock come back', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
      expect((await f.command('Hal', 'hr settings hold-days=2')).outcome).toBe('ok');
      const id = redemptionIdIn(await f.command('Ana', 'redeem mug'));
      const held = await f.desk.redemptions.find(f.organizationId, id);
      expect(held && held.expiresAt.getTime() - held.requestedAt.getTime()).toBe(48 * 3600_000);

      const before = await rewardsSnapshot(f);
      const early = await f.desk.resolve(f.organizationId, id, 'expired', { memberId: null });
      expect(early).toEqual({
        ok: false,
        code: 'not_expired',
        message: `Redemption #${id} is still within its time.`,
      });
      expect(await rewardsSnapshot(f)).toEqual(before);

      // Holds last at least an hour; rather than wait, the test moves the deadline back.
      await sql`update redemptions set expires_at = now() - interval '1 second'
        where id = ${id}`.execute(f.db);
      const expired = await f.desk.resolve(f.organizationId, id, 'expired', { memberId: null });
      expect(expired).toMatchObject({ ok: true, value: { status: 'expired', resolvedBy: null } });
      expect(await f.points('Ana')).toEqual({ available: 500, held: 0 });
      expect(await stockOf(f, mug)).toBe(3);
      expect(await chargesOf(f)).toEqual([]);
      await expectConsistent(f);
    });

    it('fulfilling: only fulfilment ends it; left untried past its jobs’ retries, it goes back to HR', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
      const id = redemptionIdIn(await f.command('Ana', 'redeem mug'));
      expect((await f.desk.redemptions.beginFulfilment(f.organizationId, id))?.status).toBe(
        'fulfilling',
      );
      const before = await rewardsSnapshot(f);
      const rejected = await f.command('Hal', `hr reject ${id} changed my mind`);
      expect(rejected).toMatchObject({ outcome: 'refused', code: 'being_fulfilled' });
      expect(await rewardsSnapshot(f)).toEqual(before);
      // Recently tried: stays with the worker.
      expect(await f.desk.redemptions.returnToHeld({ idleMinutes: 360 })).toBe(0);
      await sql`update redemptions set fulfilling_since = now() - interval '7 hours'
        where id = ${id}`.execute(f.db);
      expect(await f.desk.redemptions.returnToHeld({ idleMinutes: 360 })).toBe(1);
      expect((await f.command('Hal', `hr reject ${id} the shop never answered`)).outcome).toBe(
        'ok',
      );
      expect(await f.points('Ana')).toEqual({ available: 500, held: 0 });
      expect(await stockOf(f, mug)).toBe(3);
      expect(await chargesOf(f)).toEqual([]);
      await expectConsistent(f);
    });

    it('HR redeems on an employee’s behalf: the employee’s points are held, not HR’s', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      await f.earn('Hal', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
      const reply = await f.command('Hal', 'hr redeem @Ana Mug');
      const id = redemptionIdIn(reply);
      expect(reply.text).toBe(
        `You redeemed “Mug” for Ana (redemption #${id}); 200 points of theirs are held.`,
      );
      expect(await f.desk.redemptions.find(f.organizationId, id)).toMatchObject({
        status: 'held',
        memberId: f.members.Ana?.id,
        requestedBy: f.members.Hal?.id,
      });
      expect(await f.points('Ana')).toEqual({ available: 300, held: 200 });
      expect(await f.points('Hal')).toEqual({ available: 500, held: 0 });
      expect(await stockOf(f, mug)).toBe(2);
      await expectConsistent(f);
      // It is Ana's: she sees it and may cancel it.
      expect((await f.command('Ana', `redemptions cancel ${id}`)).outcome).toBe('ok');
      await expectConsistent(f);

      // On someone's behalf, the refusal speaks of them.
      await f.earn('Ben', 150);
      const poor = await f.command('Hal', 'hr redeem @Ben Mug');
      expect(poor).toMatchObject({
        code: 'not_enough_points',
        text: 'They have 150 points to spend, and “Mug” costs 200 points.',
      });
      const nobody = await f.command('Hal', 'hr redeem @Zed Mug');
      expect(nobody).toMatchObject({ code: 'unknown_recipient' });
      expect(nobody.text).toBe('I do not know who @Zed is.');
      await expectConsistent(f);
    });

    it('HR names the reward as a member does: a name starting with a number, or an id', async () => {
      const f = await organization();
      await f.earn('Ana', 1000);
      const tickets = await f.item({ name: '2 cinema tickets', pointsCost: 100 });
      const mug = await f.item({ name: 'Mug', pointsCost: 100 });
      // A number ending the name is the reward's, not a stray amount as in a kudos.
      const pack = await f.item({ name: 'Sticker pack 2', pointsCost: 100 });
      for (const [text, item] of [
        ['hr redeem @Ana 2 cinema tickets', tickets],
        ['hr redeem @Ana Sticker pack 2', pack],
        [`hr redeem @Ana ${mug}`, mug],
        [`hr redeem @Ana #${mug}`, mug],
      ] as const) {
        const id = redemptionIdIn(await f.command('Hal', text));
        expect((await f.desk.redemptions.find(f.organizationId, id))?.itemId, text).toBe(item);
      }
      expect((await f.command('Hal', 'hr redeem @Ana')).outcome).toBe('usage');
      await expectConsistent(f);
    });
  });

  describe('refusals: each says why, and nothing changes', () => {
    async function expectRefusal(
      f: RewardsFixture,
      as: string,
      text: string,
      expected: { code: string; text: string },
    ) {
      const before = await rewardsSnapshot(f);
      const reply = await f.command(as, text);
      expect({ outcome: reply.outcome, code: reply.code, text: reply.text }).toEqual({
        outcome: 'refused',
        ...expected,
      });
      expect(await rewardsSnapshot(f)).toEqual(before);
      await expectConsistent(f);
    }

    it('not enough points, counting the points already held', async () => {
      const f = await organization();
      await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
      await expectRefusal(f, 'Ana', 'redeem mug', {
        code: 'not_enough_points',
        text: 'You have 0 points to spend, and “Mug” costs 200 points.',
      });
      await f.earn('Ana', 300);
      expect((await f.command('Ana', 'redeem mug')).outcome).toBe('ok');
      await expectRefusal(f, 'Ana', 'redeem mug', {
        code: 'not_enough_points',
        text: 'You have 100 points to spend, and “Mug” costs 200 points.',
      });
    });

    it('out of stock: the last one taken, or none to begin with', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      await f.earn('Ben', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 1 });
      expect((await f.command('Ben', 'redeem mug')).outcome).toBe('ok');
      expect(await stockOf(f, mug)).toBe(0);
      await expectRefusal(f, 'Ana', 'redeem mug', {
        code: 'out_of_stock',
        text: '“Mug” is out of stock; ask HR when it is back.',
      });
      await f.item({ name: 'Hoodie', stock: 0 });
      await expectRefusal(f, 'Ana', 'redeem hoodie', {
        code: 'out_of_stock',
        text: '“Hoodie” is out of stock; ask HR when it is back.',
      });
    });

    it('a retired item, by its id (by its name it is no longer found)', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 3 });
      expect((await f.command('Hal', `hr reward retire ${mug}`)).outcome).toBe('ok');
      await expectRefusal(f, 'Ana', `redeem #${mug}`, {
        code: 'retired_item',
        text: '“Mug” was retired from the catalog.',
      });
      await expectRefusal(f, 'Ana', 'redeem mug', {
        code: 'unknown_item',
        text: 'There is no reward “mug”. See the catalog with /kudos rewards.',
      });
    });

    it('an inactive item', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, active: false });
      await expectRefusal(f, 'Ana', 'redeem mug', {
        code: 'inactive_item',
        text: '“Mug” cannot be redeemed at the moment.',
      });
      await expectRefusal(f, 'Ana', `redeem #${mug}`, {
        code: 'inactive_item',
        text: '“Mug” cannot be redeemed at the moment.',
      });
    });

    it('an unknown item, by name or id, or none named', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      await expectRefusal(f, 'Ana', 'redeem teleporter', {
        code: 'unknown_item',
        text: 'There is no reward “teleporter”. See the catalog with /kudos rewards.',
      });
      await expectRefusal(f, 'Ana', 'redeem #999999999', {
        code: 'unknown_item',
        text: 'There is no reward “#999999999”. See the catalog with /kudos rewards.',
      });
      const before = await rewardsSnapshot(f);
      const bare = await f.command('Ana', 'redeem');
      expect(bare).toMatchObject({ outcome: 'usage' });
      expect(await rewardsSnapshot(f)).toEqual(before);
    });

    it('a name that starts several rewards names them, and redeems none', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      const small = await f.item({ name: 'Coffee small', pointsCost: 100 });
      const large = await f.item({ name: 'Coffee large', pointsCost: 150 });
      await expectRefusal(f, 'Ana', 'redeem coffee', {
        code: 'ambiguous_item',
        text: `Several rewards start with “coffee”: “Coffee large” (#${large}), “Coffee small” (#${small}). Name one, or use its #id.`,
      });
      expect((await f.command('Ana', 'redeem coffee small')).outcome).toBe('ok');
    });

    it('another organization’s item is unknown', async () => {
      const f = await organization();
      const other = await organization();
      const theirs = await other.item({ name: 'Mug' });
      await f.earn('Ana', 500);
      await expectRefusal(f, 'Ana', `redeem #${theirs}`, {
        code: 'unknown_item',
        text: `There is no reward “#${theirs}”. See the catalog with /kudos rewards.`,
      });
    });

    it('over the monthly budget, counting held redemptions; a voided one frees its share', async () => {
      const f = await organization();
      await f.earn('Ana', 1000);
      await f.earn('Ben', 1000);
      await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
      expect((await f.command('Hal', 'hr settings budget=10')).outcome).toBe('ok');
      const first = redemptionIdIn(await f.command('Ana', 'redeem mug'));
      const overBudget = {
        code: 'over_budget',
        text: "This month's rewards budget has 4.50 EUR left, and this reward costs 5.50 EUR; ask HR, or try again next month.",
      };
      await expectRefusal(f, 'Ben', 'redeem mug', overBudget);
      // Fulfilled, it is a charge of this month and still counts.
      expect((await f.command('Hal', `hr fulfil ${first}`)).outcome).toBe('ok');
      await expectRefusal(f, 'Ben', 'redeem mug', overBudget);
      // A price that fits what is left is taken.
      await f.item({ name: 'Pen', pointsCost: 10, priceMinor: 450 });
      expect((await f.command('Ben', 'redeem pen')).outcome).toBe('ok');
      await expectRefusal(f, 'Ana', 'redeem pen', {
        code: 'over_budget',
        text: "This month's rewards budget has 0.00 EUR left, and this reward costs 4.50 EUR; ask HR, or try again next month.",
      });
      // Without a budget there is no limit.
      expect((await f.command('Hal', 'hr settings budget=none')).outcome).toBe('ok');
      expect((await f.command('Ana', 'redeem pen')).outcome).toBe('ok');
      await expectConsistent(f);
    });

    it('a rejected redemption gives its share of the budget back', async () => {
      const f = await organization();
      await f.earn('Ana', 1000);
      await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
      expect((await f.command('Hal', 'hr settings budget=5.50')).outcome).toBe('ok');
      const first = redemptionIdIn(await f.command('Ana', 'redeem mug'));
      expect((await f.command('Ana', 'redeem mug')).code).toBe('over_budget');
      expect((await f.command('Hal', `hr reject ${first} wrong size`)).outcome).toBe('ok');
      expect((await f.command('Ana', 'redeem mug')).outcome).toBe('ok');
      await expectConsistent(f);
    });

    it('not HR: every hr subcommand, for a member and for an admin', async () => {
      const { f, mug, id } = await anaRedeemedAMug();
      await f.command('Hal', 'hr settings budget=100');
      const notHr = {
        code: 'not_hr',
        text: 'Only HR can run the rewards; ask someone in HR, or an admin to give you the HR role.',
      };
      const commands = [
        'hr',
        'hr pending',
        `hr fulfil ${id}`,
        `hr fulfill ${id}`,
        `hr reject ${id} no`,
        'hr redeem @Ben Mug',
        'hr reward add name=Pen cost=10 price=1',
        `hr reward edit ${mug} cost=1 stock=100`,
        `hr reward retire ${mug}`,
        'hr statement',
        'hr statement 2026-01',
        'hr settings rate=1 budget=none hold-days=1',
        'hr nonsense',
      ];
      for (const as of ['Ana', 'Ada']) {
        for (const command of commands) await expectRefusal(f, as, command, notHr);
      }
    });

    it('already resolved: every second decision, whoever makes it', async () => {
      const f = await organization();
      await f.earn('Ana', 1000);
      await f.item({ name: 'Mug', pointsCost: 100, priceMinor: 550 });
      const redeem = async () => redemptionIdIn(await f.command('Ana', 'redeem mug'));
      const fulfilled = await redeem();
      const rejected = await redeem();
      const cancelled = await redeem();
      expect((await f.command('Hal', `hr fulfil ${fulfilled}`)).outcome).toBe('ok');
      expect((await f.command('Hal', `hr reject ${rejected} no`)).outcome).toBe('ok');
      expect((await f.command('Ana', `redemptions cancel ${cancelled}`)).outcome).toBe('ok');
      const was = (id: number, status: string) => ({
        code: 'already_resolved',
        text: `Redemption #${id} was already ${status}; nothing changed.`,
      });
      await expectRefusal(f, 'Hal', `hr fulfil ${fulfilled}`, was(fulfilled, 'fulfilled'));
      await expectRefusal(f, 'Hal', `hr reject ${fulfilled} late`, was(fulfilled, 'fulfilled'));
      await expectRefusal(f, 'Ana', `redemptions cancel ${fulfilled}`, was(fulfilled, 'fulfilled'));
      await expectRefusal(f, 'Hal', `hr fulfil ${rejected}`, was(rejected, 'rejected'));
      await expectRefusal(f, 'Hal', `hr reject ${rejected} again`, was(rejected, 'rejected'));
      await expectRefusal(f, 'Hal', `hr fulfil ${cancelled}`, was(cancelled, 'cancelled'));
      await expectRefusal(f, 'Ana', `redemptions cancel ${cancelled}`, was(cancelled, 'cancelled'));
      // The expiry job, coming after a decision, changes nothing either.
      for (const id of [fulfilled, rejected, cancelled]) {
        const before = await rewardsSnapshot(f);
        const late = await f.desk.resolve(f.organizationId, id, 'expired', { memberId: null });
        expect(late).toMatchObject({ ok: false, code: 'already_resolved' });
        expect(await rewardsSnapshot(f)).toEqual(before);
      }
      await expectRefusal(f, 'Hal', 'hr fulfil 999999999', {
        code: 'unknown_redemption',
        text: 'There is no redemption #999999999.',
      });
    });

    it('cancelling someone else’s redemption, even as HR, or one that does not exist', async () => {
      const { f, id } = await anaRedeemedAMug();
      for (const as of ['Ben', 'Hal']) {
        await expectRefusal(f, as, `redemptions cancel ${id}`, {
          code: 'not_yours',
          text: `You have no redemption #${id}.`,
        });
      }
      await expectRefusal(f, 'Ana', 'redemptions cancel 999999999', {
        code: 'not_yours',
        text: 'You have no redemption #999999999.',
      });
    });

    it('another organization’s HR cannot decide this one’s redemptions', async () => {
      const { f, id } = await anaRedeemedAMug();
      const other = await organization();
      const before = await rewardsSnapshot(f);
      const reply = await other.command('Hal', `hr fulfil ${id}`);
      expect(reply).toMatchObject({ code: 'unknown_redemption' });
      expect(await rewardsSnapshot(f)).toEqual(before);
    });
  });

  describe('replays', () => {
    it('the same request delivered twice redeems once and answers the same', async () => {
      const { f, mug, id } = await anaRedeemedAMug();
      const requestKey = key('slack-retry');
      const first = await f.command('Ana', 'redeem mug', requestKey);
      const after = await rewardsSnapshot(f);
      const again = await f.command('Ana', 'redeem mug', requestKey);
      expect(again).toEqual(first);
      expect(redemptionIdIn(first)).not.toBe(id);
      expect(await rewardsSnapshot(f)).toEqual(after);
      expect(await f.points('Ana')).toEqual({ available: 100, held: 400 });
      expect(await stockOf(f, mug)).toBe(1);
      await expectConsistent(f);
    });

    it('a replay after the redemption was decided still answers the first result', async () => {
      const f = await organization();
      await f.earn('Ana', 500);
      await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 1 });
      const requestKey = key('teams-redelivery');
      const first = await f.command('Ana', 'redeem mug', requestKey);
      const id = redemptionIdIn(first);
      expect((await f.command('Hal', `hr fulfil ${id}`)).outcome).toBe('ok');
      const after = await rewardsSnapshot(f);
      // Out of stock now, and yet the replay is not refused: it is the same request.
      expect((await f.command('Ana', 'redeem mug', requestKey)).text).toBe(first.text);
      expect(await rewardsSnapshot(f)).toEqual(after);
    });

    it('the same key for a different request is a conflict, not the first redemption', async () => {
      const f = await organization();
      await f.earn('Ana', 1000);
      await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
      await f.item({ name: 'Pen', pointsCost: 10, priceMinor: 100 });
      const requestKey = key('reused');
      expect((await f.command('Ana', 'redeem mug', requestKey)).outcome).toBe('ok');
      const before = await rewardsSnapshot(f);
      const pen = await f.command('Ana', 'redeem pen', requestKey);
      expect(pen).toMatchObject({ outcome: 'refused', code: 'idempotency_conflict' });
      const forBen = await f.command('Hal', 'hr redeem @Ben Mug', requestKey);
      expect(forBen).toMatchObject({ outcome: 'refused', code: 'idempotency_conflict' });
      expect(await rewardsSnapshot(f)).toEqual(before);
    });
  });
});
