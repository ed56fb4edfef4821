import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import type { Tables } from '../../../src/db/tables.ts';
import { openTestDatabase } from '../../support/databases.ts';
import {
  createLedgerFixture,
  fund,
  key,
  type LedgerFixture,
} from '../../support/ledger-fixture.ts';
import { balancesThatDisagreeWithTransfers } from '../../support/ledger-invariants.ts';

/** The scans of ledger_balances this transaction made so far, as Postgres counts them. */
async function balanceScans(trx: Transaction<Tables>) {
  const { rows } = await sql<{ seq: string; idx: string }>`
    select seq_scan as seq, idx_scan as idx from pg_stat_xact_user_tables
    where relid = 'ledger_balances'::regclass`.execute(trx);
  return { seq: Number(rows[0]?.seq ?? 0), idx: Number(rows[0]?.idx ?? 0) };
}

/**
 * The balance trigger (0016) moves two balance rows a give, and finds them by their
 * primary key whatever the planner makes of ledger_balances (migration 0028): with about a
 * thousand rows its plan used to flip to a scan of every row on the table's page count.
 * Postgres only: PGlite keeps no per-table scan counts.
 */
describe('the balance trigger on Postgres', () => {
  let db: Database;
  let session: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    // One connection of this test's own: the trigger's plans, made once per session and
    // kept, are made in it, under the costs the test sets.
    session = await openDatabase({ url: inject('databaseUrl'), poolSize: 1 });
  });
  afterAll(async () => {
    await session?.destroy();
    await db?.destroy();
  });

  it('moves balance rows by their key even where a scan of every row costs the planner nothing', async () => {
    const f: LedgerFixture = await createLedgerFixture(db, 2);
    const [ana, ben] = f.members as [
      LedgerFixture['members'][number],
      LedgerFixture['members'][number],
    ];
    await fund(f, ana, { points: 40 });

    const scans = await session.transaction().execute(async (trx) => {
      // Reading every page and row priced at nothing: the cheapest plan a planner could
      // choose for any statement that can scan ledger_balances is that scan.
      await sql`set local seq_page_cost = 0`.execute(trx);
      await sql`set local cpu_tuple_cost = 0`.execute(trx);
      await sql`set local cpu_operator_cost = 0`.execute(trx);
      const before = await balanceScans(trx);
      // Written by hand, so that nothing but the trigger reads ledger_balances: a pending
      // transfer (the insert's path), then its resolution (the update's path, which locks
      // the rows first).
      const { rows } = await sql<{ id: number }>`
        insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
        values (${f.organizationId}, ${key('plan')}, 'by hand', 'transfer')
        returning id`.execute(trx);
      const requestId = rows[0]?.id as number;
      await sql`
        insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status)
        values (${f.organizationId}, ${requestId}, 'points', ${ana.earned.id},
          ${ben.earned.id}, 15, 'adjustment', 'pending')`.execute(trx);
      await sql`update ledger_transfers set status = 'posted_from_pending', resolved_at = now()
        where request_id = ${requestId}`.execute(trx);
      const after = await balanceScans(trx);
      return { seq: after.seq - before.seq, idx: after.idx - before.idx };
    });

    // No scan of every row; the key probed by each of the insert's update, the
    // resolution's lock and its update (once per row or per statement, as planned).
    expect(scans.seq).toBe(0);
    expect(scans.idx).toBeGreaterThanOrEqual(3);
    const balances = await f.ledger.balances([ana.earned.id, ben.earned.id]);
    expect(balances.get(ana.earned.id)).toMatchObject({ available: 25, debitsPosted: 15 });
    expect(balances.get(ben.earned.id)).toMatchObject({ available: 15, creditsPosted: 15 });
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);
  });
});
