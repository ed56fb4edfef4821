import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/** Every row of every table (as JSON, sorted), and where each sequence stands. */
export interface DatabaseContents {
  readonly tables: Record<string, string[]>;
  readonly sequences: Record<string, string | null>;
}

/**
 * All the data of a database's public schema. Equal contents mean a copy holds every row
 * of the original, and that its sequences go on where the original's would (a restore
 * that lost them would hand out ids already taken).
 */
export async function databaseContents(db: Database): Promise<DatabaseContents> {
  const { rows: tableRows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const tables: Record<string, string[]> = {};
  for (const { name } of tableRows) {
    const { rows } = await sql<{ row: string }>`
      select to_jsonb(t)::text as row from ${sql.table(name)} t`.execute(db);
    tables[name] = rows.map((row) => row.row).sort();
  }
  const { rows: sequenceRows } = await sql<{ name: string; value: string | null }>`
    select sequencename as name, last_value::text as value from pg_sequences
    where schemaname = 'public' order by sequencename`.execute(db);
  const sequences = Object.fromEntries(sequenceRows.map((row) => [row.name, row.value]));
  return { tables, sequences };
}

/** The ledger's accounts and their balance rows, every column, in id order. */
export async function ledgerAccountsAndBalances(db: Database) {
  const accounts = await db.selectFrom('ledger_accounts').selectAll().orderBy('id').execute();
  const { rows: balances } = await sql<Record<string, unknown>>`
    select * from ledger_balances order by to_jsonb(ledger_balances)::text`.execute(db);
  return { accounts, balances };
}
