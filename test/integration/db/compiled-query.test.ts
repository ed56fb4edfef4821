import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compiledQuery } from '../../../src/db/compiled-query.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { createConnectedOrganization } from '../../../src/directory/organizations.ts';

describe('a statement compiled once and run with new values', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ url: inject('databaseUrl'), poolSize: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('answers each run for its own values, as the builder would, with its constants kept', async () => {
    const names = [`compiled A ${Date.now()}`, `compiled B ${Date.now()}`];
    const ids: number[] = [];
    for (const name of names) ids.push(await createConnectedOrganization(db, name));
    // A constant before the argument: its place among the values must not shift.
    const byIdAndZone = compiledQuery((kysely, id: number) =>
      kysely
        .selectFrom('organizations')
        .select(['id', 'name'])
        .where('timezone', '=', 'UTC')
        .where('id', '=', id),
    );
    for (const [index, id] of ids.entries()) {
      const built = await db
        .selectFrom('organizations')
        .select(['id', 'name'])
        .where('timezone', '=', 'UTC')
        .where('id', '=', id)
        .execute();
      expect(await byIdAndZone(db, id)).toEqual(built);
      expect(built).toEqual([{ id, name: names[index] }]);
    }
    // A list as one array value, inside a transaction as outside it.
    const byIds = compiledQuery((kysely, list: number[]) =>
      kysely
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', sql<number>`any(${list})`)
        .orderBy('id'),
    );
    await db.transaction().execute(async (trx) => {
      expect(await byIds(trx, ids)).toEqual(ids.map((id) => ({ id })));
    });
    expect(await byIds(db, [ids[1] as number])).toEqual([{ id: ids[1] }]);
    // Parsed and planned once on the connection (the pool has one).
    const { rows } = await sql<{ statement: string }>`
      select statement from pg_prepared_statements`.execute(db);
    expect(rows.filter((row) => row.statement.includes('any($1)'))).toHaveLength(1);
  });

  it('refuses an argument that is not exactly one value of the statement', async () => {
    const spread = compiledQuery((kysely, list: number[]) =>
      kysely.selectFrom('organizations').select('id').where('id', 'in', list),
    );
    await expect(spread(db, [1, 2])).rejects.toThrow(/argument 0 is 0 values/);
    const twice = compiledQuery((kysely, id: number) =>
      kysely.selectFrom('organizations').select('id').where('id', '=', id).where('id', '<', id),
    );
    await expect(twice(db, 1)).rejects.toThrow(/argument 0 is 2 values/);
  });
});
