import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { readBalances } from '../src/ledger/balances.ts';
import { type BenchOrganization, benchOrganization, giveOne } from './ledger-workload.ts';
import { dropDatabase, hasTable, keptOrFreshDatabase, percentile } from './postgres-server.ts';

/** Kudos seeded a statement (two transfers each), so no one statement runs for long. */
const SEED_BATCH = 500_000;

export interface VolumeFigures {
  readonly transfers: number;
  readonly note: string;
  /** Milliseconds, sorted: one give (two linked transfers) at a time. */
  readonly gives: number[];
  /** Milliseconds, sorted: a member's two balances read, as every command reads them. */
  readonly balances: number[];
  /** The transfers table and its indexes, in MB. */
  readonly tableMb: number;
  readonly indexesMb: number;
  /** The plan of the balance read, with buffers: the rows and pages it touches. */
  readonly balancePlan: string;
}

/**
 * Kudos-shaped transfers seeded set-based until the organization's ledger holds
 * `transfers`: each kudos a ledger request with its two transfers (allowance spent,
 * points issued) between two of the members, dated over the past year, the balance rows
 * moved by the database's own trigger as for any write, so `ledger:verify` holds.
 */
async function seedTransfers(db: Database, bench: BenchOrganization, transfers: number) {
  const { organizationId, org, accounts } = bench;
  const allowances = accounts.map((a: MemberAccounts) => a.allowance.id);
  const earned = accounts.map((a: MemberAccounts) => a.earned.id);
  const have = Number(
    (
      await sql<{ n: string }>`select count(*) as n from ledger_transfers
        where organization_id = ${organizationId}`.execute(db)
    ).rows[0]?.n ?? 0,
  );
  const kudos = Math.floor((transfers - have) / 2);
  const members = accounts.length;
  for (let first = 1; first <= kudos; first += SEED_BATCH) {
    const last = Math.min(kudos, first + SEED_BATCH - 1);
    await sql`
      with q as (
        insert into ledger_requests (organization_id, idempotency_key, request_hash, operation,
          created_at)
        select ${organizationId}, 'seed:' || g, 'bench', 'transfer',
          now() - interval '365 days' * (1 - g::float8 / ${kudos})
        from generate_series(${first}::int, ${last}::int) g
        returning id, split_part(idempotency_key, ':', 2)::int as g, created_at)
      insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status, created_at)
      select ${organizationId}, q.id, leg.asset, leg.debit, leg.credit, 1 + q.g % 10, 'kudos',
        'posted', q.created_at
      from q
      cross join lateral (select case when (q.g * 7 + 1) % ${members} = q.g % ${members}
        then (q.g * 7 + 2) % ${members} else (q.g * 7 + 1) % ${members} end as recipient) r
      cross join lateral (values
        ('allowance', (${allowances}::bigint[])[1 + q.g % ${members}],
          ${org.allowance_spent.id}::bigint),
        ('points', ${org.issuance.id}::bigint, (${earned}::bigint[])[1 + r.recipient]))
        as leg(asset, debit, credit)`.execute(db);
  }
}

/** Milliseconds of each call, sorted, after a warm-up of a tenth as many. */
async function sampled(samples: number, call: (n: number) => Promise<void>): Promise<number[]> {
  for (let n = 0; n < Math.ceil(samples / 10); n++) await call(-1 - n);
  const latencies: number[] = [];
  for (let n = 0; n < samples; n++) {
    const started = performance.now();
    await call(n);
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * One give at a time and one balance read at a time, `samples` of each, on an organization
 * whose ledger holds `transfers` transfers. The database is `${prefix}_${transfers}`,
 * kept after the run (and used again by the next, unseeded) when `keep`.
 */
export async function ledgerAtVolume(
  transfers: number,
  samples: number,
  options: { readonly prefix: string; readonly keep: boolean },
): Promise<VolumeFigures> {
  const name = `${options.prefix}_${transfers}`;
  const { url, kept } = await keptOrFreshDatabase(
    name,
    options.keep,
    async (client) =>
      (await hasTable(client, 'ledger_transfers')) &&
      Number((await client.query('select count(*) as n from ledger_transfers')).rows[0]?.n) >=
        transfers,
  );
  const db = await openDatabase({ url, poolSize: 2, statementTimeoutMs: 0 });
  try {
    let note = 'kept from an earlier run';
    await migrateToLatest(db);
    const bench = await benchOrganization(db);
    if (!kept) {
      const started = performance.now();
      await seedTransfers(db, bench, transfers);
      const seeded = (performance.now() - started) / 1000;
      await sql`vacuum (analyze)`.execute(db);
      note = `seeded in ${seeded.toFixed(1)} s`;
    }
    const run = Date.now();
    const gives = await sampled(samples, async (n) => {
      if (!(await giveOne(bench, `volume-${run}-${n}`))) throw new Error('a give was refused');
    });
    const balances = await sampled(samples, async (n) => {
      const member = bench.accounts[Math.abs(n) % bench.accounts.length] as MemberAccounts;
      await readBalances(db, [member.allowance.id, member.earned.id]);
    });
    const member = bench.accounts[0] as MemberAccounts;
    const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers, costs off)
      select b.* from ledger_accounts a left join ledger_balances b on b.account_id = a.id
      where a.id = any(${[member.allowance.id, member.earned.id]}::bigint[])`.execute(db);
    const sizes = (
      await sql<{ table: string; indexes: string }>`select
        pg_table_size('ledger_transfers') as table,
        pg_indexes_size('ledger_transfers') as indexes`.execute(db)
    ).rows[0];
    const count = Number(
      (await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(db)).rows[0]?.n,
    );
    return {
      transfers: count,
      note,
      gives,
      balances,
      tableMb: Math.round(Number(sizes?.table) / 1e6),
      indexesMb: Math.round(Number(sizes?.indexes) / 1e6),
      balancePlan: plan.rows.map((row) => row['QUERY PLAN']).join('\n'),
    };
  } finally {
    await db.destroy();
    if (!options.keep) await dropDatabase(name);
  }
}

export const p = (sorted: readonly number[], fraction: number) =>
  Number(percentile(sorted, fraction).toFixed(2));
