import { ConfigError, parseConfig } from './config.ts';
import { unhurriedDatabaseOptions } from './db/configured-database.ts';
import { DataFolderInUse } from './db/data-folder-lock.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';

/** `npm run migrate`: brings the configured database to the newest schema and exits. */
try {
  const config = parseConfig(process.env);
  const db = await openDatabase(unhurriedDatabaseOptions(config));
  try {
    // One line as each starts: a long migration shows which one is running.
    const applied = await migrateToLatest(db, (name) => console.error(`migrating: ${name}`));
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await db.destroy();
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Cannot migrate: ${error.message}`);
    process.exit(78);
  }
  if (error instanceof DataFolderInUse) {
    console.error(`Cannot migrate: ${error.message}`);
    process.exit(75); // EX_TEMPFAIL
  }
  throw error;
}
