import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { anyOf, compiledQuery } from '../../../src/db/compiled-query.ts';
import { MOST_COUNTED } from '../../../src/db/counted-list.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { createConnectedOrganization } from '../../../src/directory/organizations.ts';
import { preparedPlans } from '../../support/prepared-plans.ts';

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

  it('reads a counted list of every length, each value its own, planned once per count', async () => {
    const ids: number[] = [];
    for (let n = 0; n < MOST_COUNTED + 4; n++) {
      ids.push(await createConnectedOrganization(db, `counted ${n} ${Date.now()}`));
    }
    // A constant and an argument on either side of the list: their places must hold.
    const named = compiledQuery((kysely, zone: string, list: number[], after: number) =>
      kysely
        .selectFrom('organizations')
        .select('id')
        .where('timezone', '=', zone)
        .where('id', '=', anyOf(list, 'bigint'))
        .where('id', '>=', after)
        .where('name', 'like', 'counted %')
        .orderBy('id'),
    );
    for (const count of [0, 1, 2, MOST_COUNTED, MOST_COUNTED + 1, MOST_COUNTED + 4, 3]) {
      const list = ids.slice(0, count);
      const expected = list.slice(1).map((id) => ({ id }));
      expect(await named(db, 'UTC', list, ids[1] as number), `${count} ids`).toEqual(expected);
      await db.transaction().execute(async (trx) => {
        expect(await named(trx, 'UTC', list, 0), `${count} ids, in a transaction`).toEqual(
          list.map((id) => ({ id })),
        );
      });
    }
    expect(await named(db, 'Europe/Paris', ids.slice(0, 3), 0)).toEqual([]);
    // Texts read as texts, the same list's values in another order the same statement.
    const byNames = compiledQuery((kysely, names: string[]) =>
      kysely.selectFrom('organizations').select('id').where('name', '=', anyOf(names, 'text')),
    );
    const [first] = await db
      .selectFrom('organizations')
      .select('name')
      .where('id', '=', ids[0] as number)
      .execute();
    expect(await byNames(db, ['no such name', first?.name as string])).toEqual([{ id: ids[0] }]);

    // Postgres keeps one plan for a counted list (given whole, as any($1), it planned 12 of
    // 12 runs afresh here).
    const counted = compiledQuery((kysely, list: number[]) =>
      kysely.selectFrom('organizations').select('id').where('id', '=', anyOf(list, 'bigint')),
    );
    const plans = await preparedPlans(
      db,
      'from "organizations" where "id" = any(',
      async (connection) => {
        await counted(connection, ids.slice(2, 4));
      },
    );
    expect(plans.custom).toBeLessThanOrEqual(5);
    expect(plans.generic).toBeGreaterThanOrEqual(7);
    // A long list is one array value in a statement that is not prepared.
    const { rows } = await sql<{ statement: string }>`
      select statement from pg_prepared_statements where statement like '%::bigint[]%'`.execute(db);
    expect(rows.map((row) => row.statement)).toEqual([
      expect.stringContaining(`any('{}'::bigint[])`),
    ]);
  });

  it('refuses an argument that is not exactly one value of the statement', async () => {
    // A long list's values spread: the statement made for one long list would not fit another.
    const spread = compiledQuery((kysely, list: number[]) =>
      kysely.selectFrom('organizations').select('id').where('id', 'in', list),
    );
    const long = Array.from({ length: MOST_COUNTED + 2 }, (_, index) => index + 1);
    await expect(spread(db, long)).rejects.toThrow(/argument 0 is 0 values/);
    const countedTwice = compiledQuery((kysely, list: number[]) =>
      kysely
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', anyOf(list, 'bigint'))
        .where('id', '<>', anyOf(list, 'bigint')),
    );
    await expect(countedTwice(db, [1, 2])).rejects.toThrow(/argument 0 is 0 values .*2, 2/);
    const twice = compiledQuery((kysely, id: number) =>
      kysely.selectFrom('organizations').select('id').where('id', '=', id).where('id', '<', id),
    );
    await expect(twice(db, 1)).rejects.toThrow(/argument 0 is 2 values/);
  });
});
