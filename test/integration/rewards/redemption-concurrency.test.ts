import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/core/reply.ts';
import type { Result } from '../../../src/core/result.ts';
import type { Database } from '../../../src/db/database.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { key } from '../../support/ledger-fixture.ts';
import type { MemberSpec } from '../../support/recognition-fixture.ts';
import { createRewardsFixture, type RewardsFixture } from '../../support/rewards-fixture.ts';
import { rewardsInvariantBreaches } from '../../support/rewards-invariants.ts';
import { until } from '../../support/until.ts';

/** How many replies or results ended each way: `{ ok: 10, out_of_stock: 90 }`. */
function tally(outcomes: ReadonlyArray<Reply | Result<unknown>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const code =
      'outcome' in outcome
        ? outcome.outcome === 'ok'
          ? 'ok'
          : (outcome.code ?? outcome.outcome)
        : outcome.ok
          ? 'ok'
          : outcome.code;
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

const names = (count: number) => Array.from({ length: count }, (_, index) => `M${index}`);

// Concurrency needs a server with many connections; PGlite runs one statement at a time.
describe('redemptions under concurrency on postgres', () => {
  let db: Database;
  const fixtures: RewardsFixture[] = [];
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.jobs.close()));
    await db?.destroy();
  });

  /** An organization of `count` members named M0…, each with `points`, and Hal from HR. */
  async function organization(count: number, points: number) {
    const members: Record<string, MemberSpec> = { Hal: { roles: ['member', 'hr'] } };
    for (const name of names(count)) members[name] = {};
    const f = await createRewardsFixture(db, { members });
    fixtures.push(f);
    for (const name of names(count)) await f.earn(name, points);
    return f;
  }

  async function stockOf(f: RewardsFixture, itemId: number) {
    const item = await f.desk.catalog.find(f.organizationId, itemId);
    if (!item.ok) throw new Error(item.message);
    return item.value.stock;
  }

  async function redemptionsOf(f: RewardsFixture) {
    return f.db
      .selectFrom('redemptions')
      .select(['id', 'status', 'member_id', 'item_id', 'price_minor'])
      .where('organization_id', '=', f.organizationId)
      .execute();
  }

  it('100 members redeem the last 10 at once: exactly 10 are held, 90 are told it is out of stock', async () => {
    const f = await organization(100, 500);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 10 });
    const replies = await Promise.all(names(100).map((name) => f.command(name, 'redeem mug')));
    expect(tally(replies)).toEqual({ ok: 10, out_of_stock: 90 });
    for (const reply of replies.filter((each) => each.outcome !== 'ok')) {
      expect(reply.text).toBe('“Mug” is out of stock; ask HR when it is back.');
    }
    expect(await stockOf(f, mug)).toBe(0);
    const held = await redemptionsOf(f);
    expect(held).toHaveLength(10);
    expect(held.every((redemption) => redemption.status === 'held')).toBe(true);
    // Those who got one have 200 held; the others kept everything.
    const winners = new Set(held.map((redemption) => redemption.member_id));
    for (const name of names(100)) {
      const won = winners.has(f.members[name]?.id as number);
      expect(await f.points(name)).toEqual(
        won ? { available: 300, held: 200 } : { available: 500, held: 0 },
      );
    }
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('fulfil and reject of one redemption at once, 40 times over: exactly one wins each time', async () => {
    const f = await organization(40, 500);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 40 });
    const ids: number[] = [];
    for (const name of names(40)) {
      const result = await f.command(name, 'redeem mug');
      ids.push(Number(/redemption #(\d+)/.exec(result.text)?.[1]));
    }
    // Every decision of every round at once, so they also contend for the shared accounts.
    const rounds = await Promise.all(
      ids.map((id) =>
        Promise.all([
          f.command('Hal', `hr fulfil ${id}`),
          f.command('Hal', `hr reject ${id} changed our mind`),
        ]),
      ),
    );
    let fulfilled = 0;
    for (const [index, [fulfil, reject]] of rounds.entries()) {
      const id = ids[index] as number;
      expect(tally([fulfil, reject])).toEqual({ ok: 1, already_resolved: 1 });
      const winner = fulfil.outcome === 'ok' ? 'fulfilled' : 'rejected';
      const loser = fulfil.outcome === 'ok' ? reject : fulfil;
      expect(loser.text).toBe(`Redemption #${id} was already ${winner}; nothing changed.`);
      expect((await f.desk.redemptions.find(f.organizationId, id))?.status).toBe(winner);
      if (winner === 'fulfilled') fulfilled += 1;
    }
    const charges = await f.db
      .selectFrom('billing_charges')
      .select('redemption_id')
      .where('organization_id', '=', f.organizationId)
      .execute();
    expect(charges).toHaveLength(fulfilled);
    // Fulfilled ones keep their mug; rejected ones put theirs back.
    expect(await stockOf(f, mug)).toBe(40 - fulfilled);
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('the member cancelling while HR fulfils: exactly one wins, and a charge only if fulfilled', async () => {
    const f = await organization(30, 500);
    await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
    const ids = new Map<string, number>();
    for (const name of names(30)) {
      const result = await f.command(name, 'redeem mug');
      ids.set(name, Number(/redemption #(\d+)/.exec(result.text)?.[1]));
    }
    const rounds = await Promise.all(
      [...ids].map(([name, id]) =>
        Promise.all([
          f.command(name, `redemptions cancel ${id}`),
          f.command('Hal', `hr fulfil ${id}`),
        ]),
      ),
    );
    for (const round of rounds) expect(tally(round)).toEqual({ ok: 1, already_resolved: 1 });
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('requests and releases of a scarce item at once never sell more than there is', async () => {
    const f = await organization(30, 500);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 10 });
    const first = await Promise.all(names(10).map((name) => f.command(name, 'redeem mug')));
    expect(tally(first)).toEqual({ ok: 10 });
    const held = await redemptionsOf(f);
    // Half are rejected and half fulfilled while twenty others try to redeem.
    const racing = await Promise.all([
      ...held.map((redemption, index) =>
        index % 2 === 0
          ? f.command('Hal', `hr reject ${redemption.id} sorry`)
          : f.command('Hal', `hr fulfil ${redemption.id}`),
      ),
      ...names(30)
        .slice(10)
        .map((name) => f.command(name, 'redeem mug')),
    ]);
    expect(tally(racing.slice(0, 10))).toEqual({ ok: 10 });
    const after = await redemptionsOf(f);
    const count = (status: string) => after.filter((each) => each.status === status).length;
    // Every mug is in stock, held, or given: 10 in all, whatever the interleaving.
    expect(await stockOf(f, mug)).toBe(10 - count('held') - count('fulfilled'));
    expect(count('fulfilled')).toBe(5);
    expect(count('held')).toBeLessThanOrEqual(5);
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('a request waiting for the ledger does not hold up a fulfilment of the same item', async () => {
    // A fulfilment locks the balances and then writes the charge, which references the
    // item; a request locks the item and then the balances. Were the request's item lock
    // one that blocks references, the two would deadlock (and wait a second for Postgres to
    // notice) whenever they met. Here they are made to meet: a transaction holds the
    // organization's redemption_hold balance until both are queued on it, fulfilment first.
    const f = await organization(2, 500);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 10 });
    const first = await f.desk.redeem({
      organizationId: f.organizationId,
      memberId: f.members.M0?.id as number,
      requestedBy: f.members.M0?.id as number,
      itemId: mug,
      requestKey: key('first'),
    });
    if (!first.ok) throw new Error(first.message);
    const hold = (await f.desk.ledger.organizationAccounts(f.organizationId)).redemption_hold;
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let blockerPid = 0;
    const blocker = db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      await sql`select 1 from ledger_balances where account_id = ${hold.id} for update`.execute(
        trx,
      );
      blockerPid = rows[0]?.pid as number;
      await released;
    });
    await until(() => blockerPid !== 0);
    const waitingBehindBlocker = async () => {
      const { rows } = await sql<{ n: number }>`
        with recursive blocked (pid) as (
          select pid from pg_stat_activity where ${blockerPid}::int = any(pg_blocking_pids(pid))
          union
          select a.pid from pg_stat_activity a join blocked b on b.pid = any(pg_blocking_pids(a.pid))
        )
        select count(*)::int as n from blocked`.execute(db);
      return rows[0]?.n ?? 0;
    };
    const fulfil = f.desk.resolve(f.organizationId, first.value.redemption.id, 'fulfilled', {
      memberId: f.members.Hal?.id as number,
    });
    await until(async () => (await waitingBehindBlocker()) === 1);
    const request = f.desk.redeem({
      organizationId: f.organizationId,
      memberId: f.members.M1?.id as number,
      requestedBy: f.members.M1?.id as number,
      itemId: mug,
      requestKey: key('second'),
    });
    await until(async () => (await waitingBehindBlocker()) === 2);
    release();
    await blocker;

    let settled = false;
    const both = Promise.all([fulfil, request]).finally(() => {
      settled = true;
    });
    let chargeWaited = false;
    await until(
      async () => {
        const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
          and query like 'insert into "billing_charges"%'`.execute(db);
        chargeWaited ||= (rows[0]?.n ?? 0) > 0;
        return settled || chargeWaited;
      },
      20_000,
      2,
    );
    const [fulfilled, requested] = await both;
    expect(chargeWaited).toBe(false);
    expect(fulfilled.ok && requested.ok).toBe(true);
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('one member redeeming many at once spends no more than they have', async () => {
    const f = await organization(1, 650);
    await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550 });
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => f.command('M0', 'redeem mug')),
    );
    expect(tally(replies)).toEqual({ ok: 3, not_enough_points: 17 });
    expect(await f.points('M0')).toEqual({ available: 50, held: 600 });
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('redemptions of different items at once never take the month past its budget', async () => {
    const f = await organization(40, 500);
    expect((await f.command('Hal', 'hr settings budget=50')).outcome).toBe('ok');
    // Ten items, so the requests do not queue on one item's lock: only the budget's own
    // lock keeps two of them from both taking the last of the budget.
    const items: number[] = [];
    for (let index = 0; index < 10; index++) {
      items.push(await f.item({ name: `Item ${index}`, pointsCost: 10, priceMinor: 500 }));
    }
    const replies = await Promise.all(
      names(40).map((name, index) => f.command(name, `redeem #${items[index % 10]}`)),
    );
    expect(tally(replies)).toEqual({ ok: 10, over_budget: 30 });
    const held = await redemptionsOf(f);
    expect(held.reduce((sum, each) => sum + each.price_minor, 0)).toBe(5000);
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });

  it('the same request delivered many times at once redeems once', async () => {
    const f = await organization(1, 1000);
    const mug = await f.item({ name: 'Mug', pointsCost: 200, priceMinor: 550, stock: 5 });
    const requestKey = key('redelivered');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        f.desk.redeem({
          organizationId: f.organizationId,
          memberId: f.members.M0?.id as number,
          requestedBy: f.members.M0?.id as number,
          itemId: mug,
          requestKey,
        }),
      ),
    );
    expect(tally(results)).toEqual({ ok: 20 });
    const answers = results.map((result) => (result.ok ? result.value : undefined));
    expect(new Set(answers.map((answer) => answer?.redemption.id)).size).toBe(1);
    expect(answers.filter((answer) => answer?.replayed === false)).toHaveLength(1);
    expect(await stockOf(f, mug)).toBe(4);
    expect(await f.points('M0')).toEqual({ available: 800, held: 200 });
    expect(await rewardsInvariantBreaches(db, f.organizationId)).toEqual([]);
  });
});
