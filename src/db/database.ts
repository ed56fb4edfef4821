import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { lockDataFolder } from './data-folder-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingPool } from './preparing-pool.ts';
import type { Tables } from './tables.ts';

export type Database = Kysely<Tables>;

/** The databases opened on a Postgres server's pool, with the pool's size. */
const pooled = new WeakMap<Database, number>();

/**
 * How many transactions `db` can run at once: its pool's connections, as
 * {@link openDatabase} opened it. Embedded PGlite has one session (a second transaction
 * waits for the first), as has a database opened some other way, for all this knows.
 */
export function sessions(db: Database): number {
  return pooled.get(db) ?? 1;
}

/** Limits that keep a Postgres fault from holding work (or a process) without end. */
export interface PostgresTimeouts {
  /** How long opening a connection may take. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * Postgres cancels a statement running longer (`statement_timeout`); a connection whose
   * answer is {@link ANSWER_GRACE_MS} later still is given up. 0: no limit (migrations).
   * @defaultValue 10000
   */
  readonly statementTimeoutMs?: number;
  /** Postgres ends a session whose transaction sits idle longer. @defaultValue 10000 */
  readonly idleInTransactionTimeoutMs?: number;
  /** Quiet time before TCP keep-alive probes check the server is there. @defaultValue 10000 */
  readonly keepAliveMs?: number;
}

export type DatabaseOptions =
  | (PostgresTimeouts & {
      /** Postgres connection URL. */
      readonly url: string;
      /** Most connections in the pool. @defaultValue 10 */
      readonly poolSize?: number;
      /**
       * Told of each connection the server or the network took away (a restart, a
       * failover, an idle connection ended); the pool replaces it. Never thrown.
       */
      readonly onConnectionLost?: (error: Error) => void;
    })
  | {
      /** Folder of the embedded PGlite database, or `memory://` for a throwaway one. */
      readonly dataDir: string;
      /**
       * A new database starts as a copy of this one (PGlite's `dumpDataDir` tarball) instead
       * of being created empty: the tests' migrated template.
       */
      readonly loadDataDir?: Blob;
    };

/**
 * How much later than the statement timeout an answer may come before the connection is
 * given up: Postgres's own cancel comes first; a server that is frozen or cut off never answers.
 */
export const ANSWER_GRACE_MS = 2_000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Postgres returns bigint and numeric as strings; Plaudit's amounts are limited to
 * Number.MAX_SAFE_INTEGER, so they are read as numbers and an unsafe value is a fault.
 */
function parseSafeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`database value ${text} is outside the safe integer range`);
  }
  return value;
}

/** Opens real Postgres when a URL is given, otherwise embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ('url' in options) {
    const onLost = options.onConnectionLost ?? (() => {});
    const statementTimeout = options.statementTimeoutMs ?? 10_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout === 0 ? undefined : statementTimeout + ANSWER_GRACE_MS,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: options.keepAliveMs ?? 10_000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? parseSafeInteger
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection the server ended is reported here; without a listener it would
    // be an unhandled 'error' event, which ends the process.
    pool.on('error', onLost);
    const db = new Kysely<Tables>({
      dialect: new PostgresDialect({ pool: preparingPool(pool, onLost) }),
    });
    pooled.set(db, pool.options.max ?? 10);
    return db;
  }
  let unlock = async () => {};
  if (!options.dataDir.startsWith('memory://')) {
    // PGlite creates only the last folder of the path.
    await mkdir(path.dirname(path.resolve(options.dataDir)), { recursive: true });
    unlock = await lockDataFolder(path.resolve(options.dataDir));
  }
  try {
    const pglite = await PGlite.create(options.dataDir, {
      parsers: { [INT8_OID]: parseSafeInteger, [NUMERIC_OID]: parseSafeInteger },
      ...(options.loadDataDir && { loadDataDir: options.loadDataDir }),
    });
    const db = new Kysely<Tables>({ dialect: new PGliteDialect(pglite, unlock) });
    // Kysely shuts its driver (which releases the folder) only once it has been used: a
    // database opened and closed unused would keep the folder locked until the process ends.
    await sql`select 1`.execute(db);
    return db;
  } catch (error) {
    await unlock();
    throw error;
  }
}
