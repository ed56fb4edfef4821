import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import {
  liability,
  type MonthlyStatement,
  monthlyStatement,
  monthOf,
  NO_GROUP,
} from '../../../src/rewards/billing.ts';
import { formatMoney, parseMoney } from '../../../src/rewards/money.ts';
import { STATEMENT_CSV_HEADER, statementCsv } from '../../../src/rewards/statement-csv.ts';
import { parseCsv } from '../../support/csv.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import type { MemberSpec } from '../../support/recognition-fixture.ts';
import {
  createRewardsFixture,
  type RewardsFixture,
  redemptionIdIn,
} from '../../support/rewards-fixture.ts';
import { rewardsInvariantBreaches } from '../../support/rewards-invariants.ts';

describe.each(DIALECTS)('billing on %s', (dialect) => {
  let db: Database;
  const fixtures: RewardsFixture[] = [];
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.jobs.close()));
    await db?.destroy();
  });

  async function organization(members: Record<string, MemberSpec>, timezone?: string) {
    const f = await createRewardsFixture(db, {
      members: { ...members, Hal: { roles: ['member', 'hr'] } },
      timezone,
    });
    fixtures.push(f);
    return f;
  }

  async function redeem(f: RewardsFixture, as: string, itemId: number): Promise<number> {
    const reply = await f.command(as, `redeem #${itemId}`);
    expect(reply.outcome).toBe('ok');
    return redemptionIdIn(reply);
  }

  async function fulfil(f: RewardsFixture, redemptionId: number): Promise<void> {
    expect((await f.command('Hal', `hr fulfil ${redemptionId}`)).outcome).toBe('ok');
  }

  async function chargesOf(f: RewardsFixture) {
    return f.db
      .selectFrom('billing_charges')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .orderBy('id')
      .execute();
  }

  /**
   * Moves a redemption's charge to another instant, to put charges in other months.
   * Charges are append-only (a trigger refuses updates); the test turns triggers off for
   * its own transaction only, so nothing else running against the database is affected.
   */
  async function chargedAt(redemptionId: number, instant: string) {
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update billing_charges set charged_at = ${instant}::timestamptz
        where redemption_id = ${redemptionId}`.execute(trx);
    });
  }

  const thisMonth = (f: RewardsFixture, timezone = 'Europe/Lisbon') =>
    monthlyStatement(f.db, f.organizationId, monthOf(new Date(), timezone));

  it('a charge keeps the price, points and currency of the request, whatever changes after', async () => {
    const f = await organization({ Ana: {} });
    await f.earn('Ana', 1000);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
    const id = await redeem(f, 'Ana', mug);
    expect((await f.command('Hal', `hr reward edit ${mug} price=9.99 cost=500`)).text).toBe(
      `Changed: #${mug} Mug: 500 points, priced 9.99 EUR.`,
    );
    // The organization's currency changing is rarer, and the redemption keeps its own too.
    await sql`update organizations set currency = 'USD' where id = ${f.organizationId}`.execute(db);
    const reply = await f.command('Hal', `hr fulfil ${id}`);
    expect(reply.text).toBe(`Redemption #${id} (“Mug”) is fulfilled; 5.50 EUR is billed.`);
    expect(await chargesOf(f)).toMatchObject([
      { redemption_id: id, item_id: mug, amount_minor: 550, currency: 'EUR' },
    ]);
    expect(await f.points('Ana')).toEqual({ available: 800, held: 0 });
    // A new redemption takes the new terms.
    const later = await redeem(f, 'Ana', mug);
    await fulfil(f, later);
    expect((await chargesOf(f)).map((c) => [c.amount_minor, c.currency])).toEqual([
      [550, 'EUR'],
      [999, 'USD'],
    ]);
    expect(await f.points('Ana')).toEqual({ available: 300, held: 0 });
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('a charge can be neither changed nor deleted', async () => {
    const f = await organization({ Ana: {} });
    await f.earn('Ana', 1000);
    const id = await redeem(f, 'Ana', await f.item({ name: 'Mug', priceMinor: 550 }));
    await fulfil(f, id);
    await expect(
      sql`update billing_charges set amount_minor = 1 where redemption_id = ${id}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from billing_charges where redemption_id = ${id}`.execute(db),
    ).rejects.toThrow(/append-only/);
  });

  it('the statement: count and total are the charges’, per item and per group', async () => {
    const f = await organization({ Ana: {}, Ben: {}, Cy: {}, Dee: {} });
    for (const name of ['Ana', 'Ben', 'Cy', 'Dee']) await f.earn(name, 5000);
    const design = await createGroup(db, f.organizationId, 'Design');
    const sales = await createGroup(db, f.organizationId, 'Sales');
    if (!design.ok || !sales.ok) throw new Error('no groups');
    const id = (name: string) => f.members[name]?.id as number;
    // Ben is in both groups, Dee in none.
    await addGroupMembers(db, design.value, [id('Ana'), id('Ben')]);
    await addGroupMembers(db, sales.value, [id('Ben'), id('Cy')]);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
    const hoodie = await f.item({ name: 'Hoodie', pointsCost: 1000, priceMinor: 3000 });
    const dayOff = await f.item({ name: 'Day off', pointsCost: 2000, priceMinor: 0 });

    for (const [who, item] of [
      ['Ana', mug],
      ['Ana', hoodie],
      ['Ben', mug],
      ['Cy', hoodie],
      ['Dee', mug],
      ['Dee', dayOff],
    ] as const) {
      await fulfil(f, await redeem(f, who, item));
    }
    // Neither a rejected nor a held redemption is billed.
    const rejected = await redeem(f, 'Ben', hoodie);
    expect((await f.command('Hal', `hr reject ${rejected} not now`)).outcome).toBe('ok');
    await redeem(f, 'Cy', mug);
    // A retired item stays on the statement under its name.
    expect((await f.command('Hal', `hr reward retire ${dayOff}`)).outcome).toBe('ok');
    // Another organization's charges are its own.
    const other = await organization({ Zoe: {} });
    await other.earn('Zoe', 1000);
    await fulfil(other, await redeem(other, 'Zoe', await other.item({ name: 'Mug' })));

    const statement = await thisMonth(f);
    const charges = await chargesOf(f);
    expect(charges).toHaveLength(6);
    expect(statement.count).toBe(6);
    expect(statement.currency).toBe('EUR');
    expect(statement.totalMinor).toBe(charges.reduce((sum, c) => sum + c.amount_minor, 0));
    expect(statement.totalMinor).toBe(550 * 3 + 3000 * 2);
    expect(statement.charges.map((c) => c.redemptionId)).toEqual(
      charges.map((c) => c.redemption_id),
    );
    expect(statement.byItem).toEqual([
      { name: 'Hoodie', count: 2, totalMinor: 6000 },
      { name: 'Mug', count: 3, totalMinor: 1650 },
      { name: 'Day off', count: 1, totalMinor: 0 },
    ]);
    // A charge counts in every group of its member: Ben's mug in Design and in Sales.
    expect(statement.byGroup).toEqual([
      { name: 'Design', count: 3, totalMinor: 550 + 3000 + 550 },
      { name: 'Sales', count: 2, totalMinor: 550 + 3000 },
      { name: NO_GROUP, count: 2, totalMinor: 550 },
    ]);
    expect(statement.byItem.reduce((sum, line) => sum + line.totalMinor, 0)).toBe(
      statement.totalMinor,
    );

    const reply = await f.command('Hal', 'hr statement');
    expect(reply.text).toBe(
      [
        `Statement for ${statement.month}:`,
        '6 redemptions billed, 76.50 EUR in all.',
        'Hoodie: 2, 60.00 EUR',
        'Mug: 3, 16.50 EUR',
        'Day off: 1, 0.00 EUR',
        'No monthly budget.',
        // 4 × 5000 given, 4600 redeemed (Cy's 200 held are still owed), at a cent a point.
        '15400 points outstanding, worth 154.00 EUR.',
      ].join('\n'),
    );
    expect(reply.blocks).toContainEqual({
      kind: 'list',
      items: ['Design: 3, 41.00 EUR', 'Sales: 2, 35.50 EUR', '(no group): 2, 5.50 EUR'],
    });
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('months are the organization’s: charges on either side of midnight in its time zone', async () => {
    // Auckland is 13 hours ahead of UTC in January (daylight saving), so its months begin
    // on the previous UTC day.
    const zone = 'Pacific/Auckland';
    const f = await organization({ Ana: {} }, zone);
    await f.earn('Ana', 10_000);
    const mug = await f.item({ name: 'Mug', pointsCost: 10, priceMinor: 100 });
    const at: Record<string, string> = {
      lastOfDecember: '2025-12-31T10:59:59.999999Z', // 23:59:59.999999 on 31 Dec, Auckland
      firstOfJanuary: '2025-12-31T11:00:00Z', // 00:00 on 1 Jan, Auckland
      lastOfJanuary: '2026-01-31T10:59:59.999999Z', // 23:59:59.999999 on 31 Jan
      firstOfFebruary: '2026-01-31T11:00:00Z', // 00:00 on 1 Feb, still January in UTC
    };
    const redemptions: Record<string, number> = {};
    for (const [name, instant] of Object.entries(at)) {
      const id = await redeem(f, 'Ana', mug);
      await fulfil(f, id);
      await chargedAt(id, instant);
      redemptions[name] = id;
    }
    const inMonth = async (month: string) =>
      (await monthlyStatement(db, f.organizationId, month)).charges.map((c) => c.redemptionId);
    expect(await inMonth('2025-12')).toEqual([redemptions.lastOfDecember]);
    expect(await inMonth('2026-01')).toEqual([
      redemptions.firstOfJanuary,
      redemptions.lastOfJanuary,
    ]);
    expect(await inMonth('2026-02')).toEqual([redemptions.firstOfFebruary]);
    const january = await f.command('Hal', 'hr statement 2026-01');
    expect(january.text).toMatch(
      /^Statement for 2026-01:\n2 redemptions billed, 2.00 EUR in all\./,
    );
    // A month's name is checked before anything is read.
    expect((await f.command('Hal', 'hr statement 2026-13')).outcome).toBe('usage');
    expect((await f.command('Hal', 'hr statement January')).outcome).toBe('usage');
  });

  it('the budget counts this month’s charges in the organization’s time zone only', async () => {
    const zone = 'America/Los_Angeles';
    const f = await organization({ Ana: {} }, zone);
    await f.earn('Ana', 10_000);
    const mug = await f.item({ name: 'Mug', pointsCost: 10, priceMinor: 550 });
    expect((await f.command('Hal', 'hr settings budget=10')).outcome).toBe('ok');
    const first = await redeem(f, 'Ana', mug);
    await fulfil(f, first);
    const { rows } = await sql<{ start: Date }>`
      select (to_char(now() at time zone ${zone}, 'YYYY-MM') || '-01')::timestamp
        at time zone ${zone} as start`.execute(db);
    const start = new Date(rows[0]?.start as Date);
    // At the first instant of this month, Los Angeles time, it counts.
    await chargedAt(first, start.toISOString());
    expect((await f.command('Ana', `redeem #${mug}`)).code).toBe('over_budget');
    // A millisecond earlier it is last month's, and this month's budget is whole again.
    await chargedAt(first, new Date(start.getTime() - 1).toISOString());
    expect((await f.command('Ana', `redeem #${mug}`)).outcome).toBe('ok');
    expect((await f.command('Ana', `redeem #${mug}`)).code).toBe('over_budget');
  });

  it('the CSV holds every charge of the statement, field for field', async () => {
    const tricky = {
      'Silva, "Ana"': {},
      'Li\r\nWei': {},
      'O"Brien,\nJo': {},
      Plain: {},
    };
    const f = await organization(tricky);
    const names = Object.keys(tricky);
    for (const name of names) await f.earn(name, 5000);
    await sql`update members set email = 'ana.silva@example.com'
      where id = ${f.members['Silva, "Ana"']?.id as number}`.execute(db);
    const team = await createGroup(db, f.organizationId, 'R&D, "Lab"');
    const floor = await createGroup(db, f.organizationId, 'Floor 2');
    if (!team.ok || !floor.ok) throw new Error('no groups');
    await addGroupMembers(db, team.value, [f.members['Li\r\nWei']?.id as number]);
    await addGroupMembers(db, floor.value, [f.members['Li\r\nWei']?.id as number]);
    const lunch = await f.item({ name: 'Lunch, "for two"', pointsCost: 100, priceMinor: 4250 });
    const pen = await f.item({ name: 'Pen\nand paper', pointsCost: 10, priceMinor: 5 });
    for (const name of names) {
      await fulfil(f, await redeem(f, name, lunch));
      await fulfil(f, await redeem(f, name, pen));
    }

    const statement: MonthlyStatement = await thisMonth(f);
    expect(statement.count).toBe(8);
    const [header, ...rows] = parseCsv(statementCsv(statement));
    expect(header).toEqual([...STATEMENT_CSV_HEADER]);
    expect(rows).toHaveLength(statement.count);
    const column = (name: (typeof STATEMENT_CSV_HEADER)[number]) =>
      STATEMENT_CSV_HEADER.indexOf(name);
    statement.charges.forEach((charge, index) => {
      const row = rows[index] as string[];
      const field = (name: (typeof STATEMENT_CSV_HEADER)[number]) => row[column(name)];
      expect(Number(field('charge_id'))).toBe(charge.id);
      expect(new Date(field('charged_at') as string)).toEqual(charge.chargedAt);
      expect(Number(field('redemption_id'))).toBe(charge.redemptionId);
      expect(Number(field('item_id'))).toBe(charge.itemId);
      expect(field('item')).toBe(charge.itemName);
      expect(Number(field('member_id'))).toBe(charge.memberId);
      expect(field('member')).toBe(charge.memberName);
      expect(field('email')).toBe(charge.memberEmail ?? '');
      expect(field('groups')).toBe(charge.groups.join('; '));
      expect(parseMoney(field('amount') as string, field('currency') as string)).toBe(
        charge.amountMinor,
      );
      expect(field('currency')).toBe(charge.currency);
    });
    // The names really are the awkward ones, and the file adds up to the statement.
    expect(new Set(rows.map((row) => row[column('member')]))).toEqual(new Set(names));
    expect(rows.map((row) => row[column('item')])).toContain('Lunch, "for two"');
    expect(rows.map((row) => row[column('groups')])).toContain('Floor 2; R&D, "Lab"');
    expect(rows.map((row) => row[column('email')])).toContain('ana.silva@example.com');
    const total = rows.reduce(
      (sum, row) =>
        sum + (parseMoney(row[column('amount')] as string, row[column('currency')] as string) ?? 0),
      0,
    );
    expect(formatMoney(total, 'EUR')).toBe(formatMoney(statement.totalMinor, 'EUR'));
    expect(total).toBe(4 * 4250 + 4 * 5);
  });

  it('the liability is the points outstanding, held ones included, at the organization’s rate', async () => {
    const f = await organization({ Ana: {}, Ben: {} });
    await f.earn('Ana', 1000);
    await f.earn('Ben', 501);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
    // The default rate: a point is a cent.
    expect(await liability(db, f.organizationId)).toEqual({
      outstandingPoints: 1501,
      valueMinor: 1501,
      currency: 'EUR',
    });
    const reply = await f.command('Hal', 'hr settings rate=0.005');
    expect(reply.text).toBe(
      'Rewards settings: a point is worth 0.005 EUR; holds last 14 days; no monthly budget.',
    );
    const held = await redeem(f, 'Ana', mug);
    // Held points are still owed: the redemption may yet be rejected.
    expect((await liability(db, f.organizationId)).outstandingPoints).toBe(1501);
    await fulfil(f, held);
    const rejected = await redeem(f, 'Ben', mug);
    expect((await f.command('Hal', `hr reject ${rejected} no`)).outcome).toBe('ok');
    // 1301 points at half a cent are 6.505 EUR: rounded to the cent, half up.
    expect(await liability(db, f.organizationId)).toEqual({
      outstandingPoints: 1301,
      valueMinor: 651,
      currency: 'EUR',
    });
    expect((await f.command('Hal', 'hr statement')).text).toContain(
      '1301 points outstanding, worth 6.51 EUR.',
    );
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });
});
