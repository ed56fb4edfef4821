import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { PREPARE_MARKER } from '../src/db/preparing-pool.ts';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { balanceRowsStatement } from '../src/ledger/balances.ts';
import { verifyOrganization } from '../src/verification/ledger-verification.ts';
import { type GiveWal, giveWal } from './ledger-give-wal.ts';
import { type RelationWork, statementWork } from './ledger-statement-work.ts';
import { type BenchOrganization, benchOrganization } from './ledger-workload.ts';
import { databaseComment, databaseUrl, freshDatabase } from './postgres-server.ts';

/** Kudos seeded a statement (two transfers each). */
const SEED_BATCH = 2_000_000;

/** Gives and balance reads whose buffers and rows are counted per relation. */
const WORK_SAMPLES = 100;

/** Gives whose WAL is counted. */
const WAL_SAMPLES = 300;

/** An organization whose ledger holds (at least) `transfers` transfers, open. */
export interface VolumeLedger {
  readonly transfers: number;
  readonly name: string;
  readonly db: Database;
  readonly bench: BenchOrganization;
  /** Seeded now (how long it took) or reused (when it was seeded). */
  readonly note: string;
}

/** What one size's ledger is made of, and what a give and a balance read touch in it. */
export interface VolumeFacts {
  /** Transfers in the ledger now (the seed plus the gives of this and earlier runs). */
  readonly count: number;
  /** The transfers table and its indexes, in MB. */
  readonly tableMb: number;
  readonly indexesMb: number;
  /** The plan of the balance read, with buffers: the rows and pages it touches. */
  readonly balancePlan: string;
  /** Buffers and rows per relation of one give and one balance read (means), load-independent. */
  readonly work: { give: RelationWork; balance: RelationWork };
  /** The WAL of one give (means). */
  readonly wal: GiveWal;
}

/**
 * Kudos-shaped transfers seeded set-based until the organization's ledger holds
 * `transfers`: each kudos a ledger request with its two transfers (allowance spent,
 * points issued) between two of the members, dated over the past year: the rows a give
 * writes. For speed (twenty million transfers in minutes, not hours), in one transaction
 * (a failed seed leaves the schema and rows as they were):
 *
 * - the session is in replica mode, which skips the triggers: the foreign-key checks
 *   (every id written exists: the requests are written first, the accounts are the
 *   organization's) and the balance trigger, whose work is then done once for the whole
 *   seed, adding each account's sums to its balance row;
 * - the plain indexes of the transfers (not those of constraints) are dropped and built
 *   again from their own definitions after the rows are in, a sort instead of twenty
 *   million index insertions;
 * - keys are zero-padded and ids ascend, so the indexes kept are appended to at their
 *   right edge.
 *
 * The result is what the ledger would have written, and `ledger:verify` passes on it.
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
  if (kudos < 1) return;
  const members = accounts.length;
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await sql`set local maintenance_work_mem = '512MB'`.execute(trx);
    const base = async (table: 'ledger_requests' | 'ledger_transfers') =>
      Number(
        (
          await sql<{ n: string }>`select coalesce(max(id), 0) as n
            from ${sql.table(table)}`.execute(trx)
        ).rows[0]?.n,
      );
    const requestBase = await base('ledger_requests');
    const transferBase = await base('ledger_transfers');
    const plainIndexes = (
      await sql<{ name: string; definition: string }>`
        select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
        from pg_index i
        where i.indrelid = 'ledger_transfers'::regclass
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`.execute(
        trx,
      )
    ).rows;
    for (const index of plainIndexes) await sql`drop index ${sql.id(index.name)}`.execute(trx);
    for (let first = 1; first <= kudos; first += SEED_BATCH) {
      const last = Math.min(kudos, first + SEED_BATCH - 1);
      await sql`
        insert into ledger_requests (id, organization_id, idempotency_key, request_hash,
          operation, created_at)
        overriding system value
        select ${requestBase}::bigint + g, ${organizationId}, 'seed:' || lpad(g::text, 10, '0'),
          'bench', 'transfer', now() - interval '365 days' * (1 - g::float8 / ${kudos})
        from generate_series(${first}::int, ${last}::int) g`.execute(trx);
      // generate_series yields in order, each kudos its two legs in order: ids ascend.
      await sql`
        insert into ledger_transfers (id, organization_id, request_id, asset, debit_account_id,
          credit_account_id, amount, kind, status, created_at)
        overriding system value
        select ${transferBase}::bigint + 2 * g - 2 + leg.n, ${organizationId},
          ${requestBase}::bigint + g, leg.asset, leg.debit, leg.credit, 1 + g % 10, 'kudos',
          'posted', now() - interval '365 days' * (1 - g::float8 / ${kudos})
        from generate_series(${first}::int, ${last}::int) g
        cross join lateral (select case when (g * 7 + 1) % ${members} = g % ${members}
          then (g * 7 + 2) % ${members} else (g * 7 + 1) % ${members} end as recipient) r
        cross join lateral (values
          (1, 'allowance', (${allowances}::bigint[])[1 + g % ${members}],
            ${org.allowance_spent.id}::bigint),
          (2, 'points', ${org.issuance.id}::bigint, (${earned}::bigint[])[1 + r.recipient]))
          as leg(n, asset, debit, credit)`.execute(trx);
    }
    for (const index of plainIndexes) await sql.raw(index.definition).execute(trx);
    // The balance trigger's work for the whole seed: every seeded transfer is posted.
    await sql`
      with moved as (
        select debit_account_id as account_id, amount as dp, 0::bigint as cp
        from ledger_transfers where id > ${transferBase}
        union all
        select credit_account_id, 0, amount from ledger_transfers where id > ${transferBase}
      ),
      net as (select account_id, sum(dp) as dp, sum(cp) as cp from moved group by account_id)
      update ledger_balances b set debits_posted = b.debits_posted + n.dp,
        credits_posted = b.credits_posted + n.cp
      from net n where b.account_id = n.account_id`.execute(trx);
    for (const table of ['ledger_requests', 'ledger_transfers'] as const) {
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'),
        (select max(id) from ${sql.table(table)}))`.execute(trx);
    }
  });
}

/**
 * The comment a size's database carries once its seed committed and passed verification:
 * a later run finds it and uses the database as it is, without seeding.
 */
const seededMark = (transfers: number) =>
  `plaudit bench:ledger: seeded with ${transfers} transfers and verified`;

/**
 * The ledger at `transfers` transfers, in its own database `${prefix}_${transfers}`.
 * Automatic reuse: a database of that name whose comment says its seed of that size
 * committed and verified (written only then) is used as it is, so only the first run pays
 * for the seed; the gives each run adds go through the ledger, which keeps it verified.
 * Otherwise, or with `reseed`, the database is made afresh, seeded, verified and marked.
 * The database is kept after the run (20,000,000 transfers: about 4 GB).
 */
export async function openVolumeLedger(
  transfers: number,
  options: { readonly prefix: string; readonly reseed: boolean },
): Promise<VolumeLedger> {
  const name = `${options.prefix}_${transfers}`;
  const comment = options.reseed ? null : await databaseComment(name);
  const kept = comment?.startsWith(seededMark(transfers)) === true;
  const url = kept ? databaseUrl(name) : await freshDatabase(name);
  const db = await openDatabase({ url, poolSize: 2, statementTimeoutMs: 0 });
  try {
    await migrateToLatest(db);
    const bench = await benchOrganization(db);
    if (kept) {
      // Earlier runs' gives left dead versions of the balance rows (one a give), and this
      // server runs no autovacuum: without this each run would start on a bigger table than
      // the last, and the 100,000 one (timed twice a round) twice as fast.
      await sql`vacuum (analyze) ledger_balances`.execute(db);
      return {
        transfers,
        name,
        db,
        bench,
        note: `reused: ${comment?.slice(seededMark(transfers).length + 2)}`,
      };
    }
    const started = performance.now();
    await seedTransfers(db, bench, transfers);
    const seeded = (performance.now() - started) / 1000;
    await sql`vacuum (analyze)`.execute(db);
    // The seed skipped the triggers: the ledger's own checks say it wrote what they would.
    const verifyStarted = performance.now();
    const verification = await verifyOrganization(db, bench.organizationId, 5);
    if (verification.total > 0) {
      throw new Error(`the seeded ledger fails verification: ${JSON.stringify(verification)}`);
    }
    const verified = (performance.now() - verifyStarted) / 1000;
    const note = `seeded in ${seeded.toFixed(1)} s, verified in ${verified.toFixed(1)} s`;
    const mark = `${seededMark(transfers)}, ${new Date().toISOString()}, ${note}`;
    await sql`comment on database ${sql.id(name)} is ${sql.lit(mark)}`.execute(db);
    return { transfers, name, db, bench, note };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** The size of the ledger's table, the plan of a balance read, and each statement's work. */
export async function volumeFacts(volume: VolumeLedger): Promise<VolumeFacts> {
  const { db, bench } = volume;
  const work = await statementWork(db, bench, WORK_SAMPLES);
  const wal = await giveWal(volume.name, bench, WAL_SAMPLES);
  const member = bench.accounts[0] as MemberAccounts;
  // The statement a member's balance read runs, explained (its ids, whole numbers, inlined).
  const statement = balanceRowsStatement([member.allowance.id, member.earned.id]).compile(db);
  const inlined = statement.sql
    .replace(PREPARE_MARKER, '')
    .replace(/\$(\d+)/g, (_, n) => String(Number(statement.parameters[Number(n) - 1])));
  const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers)
    ${sql.raw(inlined)}`.execute(db);
  const sizes = (
    await sql<{ table: string; indexes: string }>`select
      pg_table_size('ledger_transfers') as table,
      pg_indexes_size('ledger_transfers') as indexes`.execute(db)
  ).rows[0];
  const count = Number(
    (await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(db)).rows[0]?.n,
  );
  return {
    count,
    tableMb: Math.round(Number(sizes?.table) / 1e6),
    indexesMb: Math.round(Number(sizes?.indexes) / 1e6),
    balancePlan: plan.rows.map((row) => row['QUERY PLAN']).join('\n'),
    work,
    wal,
  };
}
