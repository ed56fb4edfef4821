import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { PREPARE_MARKER } from '../../../src/db/preparing-pool.ts';

describe('prepared hot statements on Postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ url: inject('databaseUrl'), poolSize: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('prepares a marked statement once per connection and leaves others unprepared', async () => {
    const prepared = () =>
      sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
    for (const value of [1, 2, 3]) {
      const { rows } = await sql<{ doubled: number }>`${sql.raw(PREPARE_MARKER)}
        select ${value}::int * 2 as doubled`.execute(db);
      expect(rows).toEqual([{ doubled: value * 2 }]);
      await sql`select ${value}::int as unmarked`.execute(db);
    }
    const { rows } = await prepared();
    expect(rows.filter((row) => row.statement.includes('doubled'))).toHaveLength(1);
    expect(rows.filter((row) => row.statement.includes('unmarked'))).toHaveLength(0);
  });
});
