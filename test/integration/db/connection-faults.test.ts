import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { isConnectionLost } from '../../../src/db/connection-errors.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { retryOnConflict } from '../../../src/db/retry.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { until } from '../../support/until.ts';

/** The run's database under a name of this test's own, so it ends only its own sessions. */
function namedUrl(name: string, port?: number): string {
  const url = new URL(inject('databaseUrl'));
  if (port !== undefined) {
    url.hostname = '127.0.0.1';
    url.port = String(port);
  }
  url.searchParams.set('application_name', name);
  return url.href;
}

/** What a Postgres restart, a failover or an idle timeout does to a pool's sessions. */
async function terminateSessions(admin: pg.Client, name: string, state?: 'idle'): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    `select pg_terminate_backend(pid) as ended from pg_stat_activity
     where application_name = $1 and ($2::text is null or state = $2)`,
    [name, state ?? null],
  );
  return rows.filter((row) => row.ended).length;
}

async function sessions(admin: pg.Client, name: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where application_name = $1',
    [name],
  );
  return rows[0]?.n ?? 0;
}

describe('a Postgres pool when the server ends its connections', () => {
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  const opened: Database[] = [];
  beforeAll(() => admin.connect());
  afterAll(() => admin.end());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.destroy()));
  });

  async function open(name: string, options: { poolSize?: number; port?: number } = {}) {
    const lost: Error[] = [];
    const db = await openDatabase({
      url: namedUrl(name, options.port),
      poolSize: options.poolSize ?? 4,
      connectTimeoutMs: 1_000,
      statementTimeoutMs: 1_000,
      onConnectionLost: (error) => lost.push(error),
    });
    opened.push(db);
    return { db, lost };
  }

  it('survives its idle connections being terminated, reports them, and serves on new ones', async () => {
    const name = `faults-idle-${randomUUID()}`;
    const { db, lost } = await open(name);
    // Four connections open at once, then idle in the pool.
    await Promise.all([1, 2, 3, 4].map((n) => sql`select pg_sleep(0.05), ${n}::int`.execute(db)));
    await until(async () => (await sessions(admin, name)) === 4);

    expect(await terminateSessions(admin, name, 'idle')).toBe(4);
    // Without a listener on the pool each of these is an unhandled 'error': the process ends.
    await until(() => lost.length === 4);
    expect(lost.every(isConnectionLost)).toBe(true);
    const { rows } = await sql<{ n: number }>`select 41 + 1 as n`.execute(db);
    expect(rows).toEqual([{ n: 42 }]);
  });

  it('runs a transaction again when its session is ended under it, and it commits once', async () => {
    const name = `faults-lent-${randomUUID()}`;
    const { db } = await open(name, { poolSize: 1 });
    const table = `faults_${randomUUID().replaceAll('-', '')}`;
    await sql`create table ${sql.id(table)} (id int primary key)`.execute(db);
    let attempts = 0;
    try {
      await retryOnConflict(() =>
        db.transaction().execute(async (trx) => {
          attempts += 1;
          await sql`insert into ${sql.id(table)} values (1)`.execute(trx);
          // The first attempt's session is ended under it, as a failover would.
          if (attempts === 1) await terminateSessions(admin, name);
          await sql`select 1`.execute(trx);
        }),
      );
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from ${sql.id(table)}`.execute(db);
      expect({ attempts, rows }).toEqual({ attempts: 2, rows: [{ n: 1 }] });
    } finally {
      await sql`drop table ${sql.id(table)}`.execute(db);
    }
  });

  it('gives up on a frozen server within its limits, opens a new connection for the next statement, and serves again once it thaws', async () => {
    const target = new URL(inject('databaseUrl'));
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const outcome = (work: Promise<unknown>) =>
      work.then(
        () => 'answered',
        (error: unknown) => (isConnectionLost(error) ? 'lost' : String(error)),
      );
    try {
      const { db } = await open(`faults-frozen-${randomUUID()}`, { poolSize: 1, port: proxy.port });
      await sql`select 1`.execute(db);
      expect(proxy.accepted).toBe(1);
      proxy.freeze();
      // A statement on the open connection waits for an answer that never comes.
      const onOpen = await outcome(sql`select 1`.execute(db));
      // That connection still carries the unanswered statement: the next one must not queue
      // behind it but open a connection of its own (whose opening hangs too).
      const onNext = await outcome(sql`select 2`.execute(db));
      expect({ onOpen, onNext, accepted: proxy.accepted }).toEqual({
        onOpen: 'lost',
        onNext: 'lost',
        accepted: 2,
      });

      proxy.thaw();
      const { rows } = await sql<{ n: number }>`select 7 as n`.execute(db);
      expect(rows).toEqual([{ n: 7 }]);
    } finally {
      await proxy.cut();
    }
  });
});
