import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { readBalances } from '../../../src/ledger/balances.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createLedgerFixture, fund } from '../../support/ledger-fixture.ts';

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
});
