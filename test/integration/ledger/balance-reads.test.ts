import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { balanceRowsStatement, readBalances } from '../../../src/ledger/balances.ts';
import { DIALECTS, openTestDatabase } from '../../support/databases.ts';
import { createLedgerFixture, fund } from '../../support/ledger-fixture.ts';
import { preparedPlans } from '../../support/prepared-plans.ts';

/**
 * A member's balances, read on every command, come from their balance rows alone: the
 * read costs the same at twenty million transfers as at a hundred. Postgres counts, per
 * transaction, the rows each statement read from a table (pg_stat_xact_user_tables);
 * the read runs with the plan a prepared statement settles on after its first uses (the
 * generic one, forced), which once summed every transfer of each account and then
 * dropped the sums for limited accounts.
 */
describe('balance reads on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** Rows of ledger_transfers read by `read`, in one transaction with generic plans. */
  async function transferRowsRead(read: (trx: Database) => Promise<unknown>): Promise<number> {
    return db.transaction().execute(async (trx) => {
      await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
      const rowsRead = async () =>
        Number(
          (
            await sql<{ n: string }>`select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
                as n
              from pg_stat_xact_user_tables where relname = 'ledger_transfers'`.execute(trx)
          ).rows[0]?.n ?? 0,
        );
      const before = await rowsRead();
      await read(trx as unknown as Database);
      return (await rowsRead()) - before;
    });
  }

  it("reads a member's balances from their rows, not their transfers", async () => {
    const f = await createLedgerFixture(db, 2);
    const member = f.members[0];
    if (!member) throw new Error('member');
    for (let n = 0; n < 20; n++) await fund(f, member, { allowance: 5, points: 3 });

    let balances = new Map();
    const read = await transferRowsRead(async (trx) => {
      balances = await readBalances(trx, [member.allowance.id, member.earned.id]);
    });
    expect(balances.get(member.allowance.id)).toMatchObject({ creditsPosted: 100 });
    expect(balances.get(member.earned.id)).toMatchObject({ creditsPosted: 60, available: 60 });
    expect(read).toBe(0);

    // The organization's own accounts have no row: theirs is summed from their transfers.
    let issuance = new Map();
    const summed = await transferRowsRead(async (trx) => {
      issuance = await readBalances(trx, [f.org.issuance.id]);
    });
    expect(issuance.get(f.org.issuance.id)).toMatchObject({ debitsPosted: 60 });
    expect(summed).toBeGreaterThanOrEqual(20);
  });

  it("plans a member's balance read once per connection, not on every read", async () => {
    const f = await createLedgerFixture(db, 2);
    const member = f.members[0];
    if (!member) throw new Error('member');
    await fund(f, member, { allowance: 5, points: 3 });
    const plans = await preparedPlans(
      db,
      'from ledger_accounts a%left join ledger_balances b',
      async (connection) => {
        const read = await readBalances(connection, [member.allowance.id, member.earned.id]);
        expect(read.get(member.earned.id)).toMatchObject({ creditsPosted: 3, available: 3 });
      },
    );
    // Postgres plans a prepared statement for its values five times, then keeps the
    // generic plan when it costs no more than those: from the sixth read on, no planning.
    expect(plans.custom).toBeLessThanOrEqual(5);
    expect(plans.generic).toBeGreaterThanOrEqual(7);
  });
});

/** The tables a JSON plan reads, its subplans' included. */
function relationsOf(plan: Record<string, unknown>): string[] {
  const own = typeof plan['Relation Name'] === 'string' ? [plan['Relation Name']] : [];
  const children = (plan.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [...own, ...children.flatMap(relationsOf)];
}

describe.each(DIALECTS)('the balance read on %s', (dialect) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('costs the same however many transfers there are: its plan reads no transfers', async () => {
    const f = await createLedgerFixture(db, 1);
    const member = f.members[0];
    if (!member) throw new Error('member');
    await fund(f, member, { allowance: 5, points: 3 });
    const compiled = balanceRowsStatement([member.allowance.id, member.earned.id]).compile(db);
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
      CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]),
    );
    const explained = rows[0]?.['QUERY PLAN'];
    const plan = (
      (typeof explained === 'string' ? JSON.parse(explained) : explained) as Array<{
        Plan: Record<string, unknown>;
      }>
    )[0]?.Plan as Record<string, unknown>;
    // A plan that named the transfers (even in a branch never run for a member) was
    // costed by their number: at twenty million, above jit_above_cost, and each read was
    // compiled by LLVM before it ran (hundreds of milliseconds).
    expect(new Set(relationsOf(plan))).toEqual(new Set(['ledger_accounts', 'ledger_balances']));
    const jitAbove = Number(
      (await sql<{ cost: string }>`select current_setting('jit_above_cost') as cost`.execute(db))
        .rows[0]?.cost,
    );
    expect(plan['Total Cost']).toBeLessThan(jitAbove / 1000);
  });
});
