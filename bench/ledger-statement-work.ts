import { sql, type Transaction } from 'kysely';
import type { Database } from '../src/db/database.ts';
import type { Tables } from '../src/db/tables.ts';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { readBalances } from '../src/ledger/balances.ts';
import { type BenchOrganization, giveOne } from './ledger-workload.ts';

/**
 * Buffers and rows one operation touched, per relation (tables and indexes); `reads`, of
 * the buffers, those not found in Postgres' shared buffers (read from the OS).
 */
export type RelationWork = Record<string, { buffers: number; reads: number; rows: number }>;

/**
 * What each relation gave one call of `work`, counted by Postgres itself for the current
 * transaction (pg_stat_get_xact_blocks_fetched: buffer accesses, hits or reads; rows
 * read by scans and fetched by index scans). Load-independent: the same on a busy machine
 * as on a quiet one. The work is committed.
 */
async function relationWork(
  db: Database,
  work: (trx: Transaction<Tables>) => Promise<unknown>,
): Promise<RelationWork> {
  return db.transaction().execute(async (trx) => {
    const counts = async () =>
      (
        await sql<{ name: string; buffers: string; hits: string; rows: string }>`
          select c.relname as name, pg_stat_get_xact_blocks_fetched(c.oid) as buffers,
            pg_stat_get_xact_blocks_hit(c.oid) as hits,
            pg_stat_get_xact_tuples_returned(c.oid) + pg_stat_get_xact_tuples_fetched(c.oid)
              as rows
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'i', 'p')`.execute(trx)
      ).rows;
    const before = new Map((await counts()).map((row) => [row.name, row]));
    await work(trx);
    const result: RelationWork = {};
    for (const row of await counts()) {
      const was = before.get(row.name);
      const buffers = Number(row.buffers) - Number(was?.buffers ?? 0);
      const reads = buffers - (Number(row.hits) - Number(was?.hits ?? 0));
      const rows = Number(row.rows) - Number(was?.rows ?? 0);
      if (buffers > 0 || rows > 0) result[row.name] = { buffers, reads, rows };
    }
    return result;
  });
}

/** The mean per-relation work of `samples` gives and as many balance reads. */
export async function statementWork(
  db: Database,
  bench: BenchOrganization,
  samples: number,
): Promise<{ give: RelationWork; balance: RelationWork }> {
  const mean = (all: RelationWork[]) => {
    const total: RelationWork = {};
    for (const one of all) {
      for (const [name, { buffers, reads, rows }] of Object.entries(one)) {
        const t = total[name] ?? { buffers: 0, reads: 0, rows: 0 };
        total[name] = t;
        t.buffers += buffers / all.length;
        t.reads += reads / all.length;
        t.rows += rows / all.length;
      }
    }
    for (const t of Object.values(total)) {
      t.buffers = Number(t.buffers.toFixed(1));
      t.reads = Number(t.reads.toFixed(2));
      t.rows = Number(t.rows.toFixed(1));
    }
    return total;
  };
  const run = Date.now();
  const gives: RelationWork[] = [];
  const balances: RelationWork[] = [];
  for (let n = 0; n < samples; n++) {
    gives.push(
      await relationWork(db, async (trx) => {
        if (!(await giveOne(bench, `work-${run}-${n}`, trx))) {
          throw new Error('a give was refused');
        }
      }),
    );
    const member = bench.accounts[n % bench.accounts.length] as MemberAccounts;
    balances.push(
      await relationWork(db, (trx) =>
        readBalances(trx as unknown as Database, [member.allowance.id, member.earned.id]),
      ),
    );
  }
  return { give: mean(gives), balance: mean(balances) };
}
