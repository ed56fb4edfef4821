import { type Kysely, sql } from 'kysely';

/**
 * The balance trigger (0016) finds the rows it moves by their primary key, whatever the
 * planner thinks of ledger_balances. A give moves two balance rows, but with about a
 * thousand of them the trigger's update was planned either as two probes of the key or as
 * a scan of every row, and which one flipped on the table's page count (a compactly
 * written 19 pages: the scan; 22 after some churn: the probes): at twenty million
 * transfers the bench's give read 1,001 balance rows and 29 buffers in its trigger, and
 * the statement took 1.20× its time at 100,000; without the scan, 1.03×. The plan is made
 * once per session and kept, so a connection opened while the table was compact kept the
 * scan for good.
 *
 * The function runs with sequential scans disabled, so each of its statements (the update,
 * and a resolution's row locks) is planned on the primary key, the only path left that is
 * not disabled: chosen by the function itself, not by the session (a caller's setting does
 * not reach it), nor by the statistics or the size of the table. Rewriting the update as
 * one keyed statement per account would do the same for more statements a give; a smaller
 * table's scan (a few pages) is not cheaper than two probes by enough to matter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter function ledger_transfers_move_balances() set enable_seqscan = off`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter function ledger_transfers_move_balances() reset enable_seqscan`.execute(db);
}
