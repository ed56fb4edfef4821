import { ConfigError, parseConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';

/** `npm run migrate`: brings the configured database to the newest schema and exits. */
try {
  const config = parseConfig(process.env);
  const db = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, poolSize: 1 }
      : { dataDir: config.PLAUDIT_DATA_DIR },
  );
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await db.destroy();
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Cannot migrate: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
