import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { type Database, type DatabaseOptions, openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

/** The configured database: Postgres from DATABASE_URL with its limits, or embedded PGlite. */
export function databaseOptions(config: Config, logger?: Logger): DatabaseOptions {
  if (!config.DATABASE_URL) return { dataDir: config.PLAUDIT_DATA_DIR };
  return {
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    keepAliveMs: config.DATABASE_KEEPALIVE_MS,
    onConnectionLost: (error) =>
      logger?.warn({ err: error }, 'a database connection was lost; the pool replaces it'),
  };
}

/**
 * Options for work that may run long on purpose (migrations, `ledger:verify`): one
 * connection, and no statement limit (the other limits stand).
 */
export function unhurriedDatabaseOptions(config: Config, logger?: Logger): DatabaseOptions {
  const options = databaseOptions(config, logger);
  return 'url' in options ? { ...options, poolSize: 1, statementTimeoutMs: 0 } : options;
}

/**
 * Opens the configured database and brings its schema to the newest migration. On
 * Postgres the migrations run on a connection of their own without the statement limit,
 * since a migration of a large table may take longer than any request should.
 */
export async function openMigratedDatabase(
  config: Config,
  logger: Logger,
): Promise<{ db: Database; applied: string[] }> {
  // Progress lines: an operator watching a start sees what it waits on (a long migration,
  // or PGlite making its folder, which takes many seconds the first time).
  if (config.DATABASE_URL) logger.info({ database: 'postgres' }, 'opening the database');
  else {
    const dataDir = config.PLAUDIT_DATA_DIR;
    logger.info(
      { database: 'pglite', dataDir },
      existsSync(dataDir) ? 'opening the database' : 'creating the embedded database',
    );
  }
  const onMigrating = (migration: string) => logger.info({ migration }, 'migrating');
  if (!config.DATABASE_URL) {
    const db = await openDatabase(databaseOptions(config, logger));
    try {
      return { db, applied: await migrateToLatest(db, onMigrating) };
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  const migrating = await openDatabase(unhurriedDatabaseOptions(config, logger));
  let applied: string[];
  try {
    applied = await migrateToLatest(migrating, onMigrating);
  } finally {
    await migrating.destroy();
  }
  return { db: await openDatabase(databaseOptions(config, logger)), applied };
}
