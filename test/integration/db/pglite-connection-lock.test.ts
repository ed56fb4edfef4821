import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { migratedDataFolder, openTestDatabase } from '../../support/databases.ts';

describe('the embedded PGlite database', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await sql`create table counter (id int primary key, value int not null)`.execute(db);
    await sql`insert into counter values (1, 0)`.execute(db);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('gives a transaction the connection until it ends, so concurrent read-modify-writes lose nothing', async () => {
    // Each transaction reads, yields to the event loop, then writes what it read plus one:
    // interleaved on PGlite's one connection without a lock, they would overwrite each other.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        db.transaction().execute(async (trx) => {
          const { rows } = await sql<{
            value: number;
          }>`select value from counter where id = 1`.execute(trx);
          await new Promise((resolve) => setImmediate(resolve));
          await sql`update counter set value = ${(rows[0]?.value ?? 0) + 1} where id = 1`.execute(
            trx,
          );
        }),
      ),
    );
    const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(
      db,
    );
    expect(rows[0]?.value).toBe(10);
  });

  it('releases the connection after a failed transaction rolls back', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`update counter set value = value + 100 where id = 1`.execute(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(
      db,
    );
    expect(rows[0]?.value).toBe(10);
  });

  it('keeps its data in its folder across restarts', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const root = await mkdtemp(path.join(tmpdir(), 'plaudit-pglite-'));
    const dataDir = path.join(root, 'nested', 'data');
    try {
      // Made from the run's migrated template (creating one is server-start's test).
      await migratedDataFolder(dataDir);
      const first = await openDatabase({ dataDir });
      await sql`create table kept (value text)`.execute(first);
      await sql`insert into kept values ('still here')`.execute(first);
      await first.destroy();
      const second = await openDatabase({ dataDir });
      const { rows } = await sql<{ value: string }>`select value from kept`.execute(second);
      await second.destroy();
      expect(rows).toEqual([{ value: 'still here' }]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
