import { NO_MIGRATIONS, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/database.ts';
import { createMigrator, loadMigrations, migrateToLatest } from '../../../src/db/migrate.ts';

describe('migrations', () => {
  it('apply on PGlite, roll all the way down, and apply again', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      const all = Object.keys(await loadMigrations());
      expect(all.slice(0, 4)).toEqual([
        '0001_directory',
        '0002_ledger',
        '0003_recognition',
        '0004_slack',
      ]);
      const applied = await migrateToLatest(db);
      expect(applied).toEqual(all);
      expect(await migrateToLatest(db)).toEqual([]);
      const down = await createMigrator(db).migrateTo(NO_MIGRATIONS);
      expect(down.error).toBeUndefined();
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables
        where table_schema = 'public' and table_name not like 'kysely_%'`.execute(db);
      expect(rows[0]?.n).toBe(0);
      expect(await migrateToLatest(db)).toEqual(all);
    } finally {
      await db.destroy();
    }
  });
});
