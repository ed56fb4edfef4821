import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/database.ts';
import type { Tables } from '../src/db/tables.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { type BenchOrganization, giveOne } from './ledger-workload.ts';
import { databaseUrl } from './postgres-server.ts';

/** The WAL one give wrote (means): records, full-page images, bytes. */
export interface GiveWal {
  readonly records: number;
  readonly fullPages: number;
  readonly bytes: number;
}

const INT8_OID = 20;

/**
 * The WAL `samples` gives write, as Postgres counts it per statement (auto_explain, loaded
 * into this one session only, with `log_wal`, its plans sent to the client as notices):
 * every statement of a give, the triggers' included, not the commit record. A give's
 * full-page images (a page's first change after a checkpoint is logged whole, 8 kB) are
 * what its WAL grows by when it touches more distinct pages: a ledger whose members'
 * index entries fill pages of their own, rather than sharing a few, touches one page per
 * member and index. How many depends on how often the server checkpoints (other
 * databases' writes count), so compare sizes within one run.
 */
export async function giveWal(
  database: string,
  bench: BenchOrganization,
  samples: number,
): Promise<GiveWal> {
  const pool = new pg.Pool({
    connectionString: databaseUrl(database),
    max: 1,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  const notices: string[] = [];
  pool.on('connect', (client) => client.on('notice', (n) => notices.push(n.message ?? '')));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }) as Database;
  try {
    const own = { ...bench, ledger: new Ledger(db) };
    const run = Date.now();
    // Warm-up: the ledger reads and caches the accounts.
    for (let n = 0; n < 10; n++) await giveOne(own, `wal-${run}-warm-${n}`);
    await pool.query(`load 'auto_explain'`);
    for (const setting of [
      'auto_explain.log_min_duration = 0',
      'auto_explain.log_analyze = on',
      'auto_explain.log_timing = off',
      'auto_explain.log_wal = on',
      'auto_explain.log_nested_statements = on',
      "auto_explain.log_level = 'notice'",
    ]) {
      await pool.query(`set ${setting}`);
    }
    notices.length = 0;
    for (let n = 0; n < samples; n++) {
      if (!(await giveOne(own, `wal-${run}-${n}`))) throw new Error('a give was refused');
    }
    let records = 0;
    let fullPages = 0;
    let bytes = 0;
    for (const notice of notices) {
      // The plan's first WAL line is its root's: the whole statement's.
      const wal = /WAL: records=(\d+)(?: fpi=(\d+))? bytes=(\d+)/.exec(
        notice.slice(notice.indexOf('plan:')),
      );
      if (!wal) continue;
      records += Number(wal[1]);
      fullPages += Number(wal[2] ?? 0);
      bytes += Number(wal[3]);
    }
    return {
      records: Number((records / samples).toFixed(1)),
      fullPages: Number((fullPages / samples).toFixed(2)),
      bytes: Math.round(bytes / samples),
    };
  } finally {
    await db.destroy();
  }
}
