import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingPool } from './preparing-pool.ts';
import type { Tables } from './tables.ts';

export type Database = Kysely<Tables>;

export type DatabaseOptions =
  | {
      /** Postgres connection URL. */
      readonly url: string;
      /** Most connections in the pool. @defaultValue 10 */
      readonly poolSize?: number;
    }
  | {
      /** Folder of the embedded PGlite database, or `memory://` for a throwaway one. */
      readonly dataDir: string;
    };

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
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? parseSafeInteger
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    return new Kysely<Tables>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  }
  if (!options.dataDir.startsWith('memory://')) {
    // PGlite creates only the last folder of the path.
    await mkdir(path.dirname(path.resolve(options.dataDir)), { recursive: true });
  }
  const pglite = await PGlite.create(options.dataDir, {
    parsers: { [INT8_OID]: parseSafeInteger, [NUMERIC_OID]: parseSafeInteger },
  });
  return new Kysely<Tables>({ dialect: new PGliteDialect(pglite) });
}
