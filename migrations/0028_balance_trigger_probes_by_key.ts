import { type Kysely, sql } from 'kysely';

/**
 * The balance trigger (0016) finds the rows it moves by their primary key, whatever the
 * planner makes of ledger_balances. A give moves two balance rows, but with about a
 * thousand of them the planner prices its update's two probes of the key within a few
 * percent of a scan of every row (39 against 42 on bench:ledger's 19 pages at 100,000
 * transfers), so the plan flips with the table's page count (which its dead row versions
 * raise) and with how closely the rows' physical order follows the key: on the ledger of
 * 20,000,000 transfers freshly seeded (account_id's correlation 0.31, not 0.92) a give's
 * trigger read all 1,001 balance rows, and the statement took 1.20× its time at 100,000;
 * without that scan, 1.03×. The plan is made once per session and kept, so a connection
 * opened while the table looked so kept the scan.
 *
 * The function runs with sequential scans disabled: each of its statements (the update,
 * and a resolution's row locks) is planned on the primary key, the only path left, chosen
 * by the function itself, not by the caller's session, the statistics or the table's size.
 * (One keyed update per account would do the same in more statements a give; a scan of a
 * table of a few pages, where the probes cost more, saves too little to matter.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter function ledger_transfers_move_balances() set enable_seqscan = off`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter function ledger_transfers_move_balances() reset enable_seqscan`.execute(db);
}
