import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInsights } from '../../../src/console/insights/insight-queries.ts';
import { addDays, localDate } from '../../../src/console/insights/insight-range.ts';
import type { Database } from '../../../src/db/database.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { directInsights } from '../../support/direct-insight-queries.ts';
import { until } from '../../support/until.ts';

/*
 * A person's running totals (migrations/0027) are recomputed from their first changed day
 * on, from the day counts. Two writers changing one person on different days (here an old
 * kudos made private while a new one is given today) would each compute from the other's
 * rows as they were, the second one's totals missing the first's change: so each first locks
 * the person's rows from the one before its first changed day on, and recomputes in a
 * statement of its own. Postgres only: PGlite has one connection, so no writer ever waits.
 */
const DAY_MS = 86_400_000;

describe('running totals with two writers on one person (postgres)', () => {
  let db: Database;
  let f: AdminFixture & { close(): Promise<void> };

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    f = await createAdminFixture(db, {
      members: { Ana: { roles: ['member', 'admin'] as const }, Bo: {}, Cy: {} },
      timezone: 'UTC',
    });
  });

  afterAll(async () => {
    await f?.close();
    await db?.destroy();
  });

  async function giveDatedBack(giver: string, text: string, days: number): Promise<number> {
    const reply = await f.command(giver, text);
    expect(reply.outcome, reply.text).toBe('ok');
    const recognitionId = reply.events[0]?.recognitionId as number;
    const when = new Date(Date.now() - days * DAY_MS);
    await sql`update recognitions set created_at = ${when} where id = ${recognitionId}`.execute(db);
    await sql`update recognition_recipients set created_at = ${when}
      where recognition_id = ${recognitionId}`.execute(db);
    return recognitionId;
  }

  it('a kudos given today while an older one of theirs moves keeps their totals right', async () => {
    const old = await giveDatedBack('Ana', '@Bo 2 for the launch', 10);
    await giveDatedBack('Ana', '@Bo 3 for the review', 5);

    // The first writer: makes the old kudos private, moving Bo's kudos of ten days ago out of
    // the public counts (and, from then on, their public totals), and holds on.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let blockerPid = 0;
    const blocker = db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      await sql`update recognitions set private = true where id = ${old}`.execute(trx);
      blockerPid = rows[0]?.pid as number;
      await released;
    });
    await until(() => blockerPid !== 0);

    // The second: a kudos to Bo today, which waits for Bo's rows the first holds.
    const given = f.command('Cy', '@Bo 4 for the help today');
    await until(async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where ${blockerPid}::int = any(pg_blocking_pids(pid))`.execute(db);
      return (rows[0]?.n ?? 0) > 0;
    });
    release();
    await blocker;
    expect((await given).outcome).toBe('ok');

    const { rows } = await sql<{ extra: number; missing: number }>`
      with expected as (
        select organization_id, member_id, private, day, lead(day) over w as next_day,
          sum(given) over w as given, sum(given_points) over w as given_points,
          sum(received) over w as received, sum(received_points) over w as received_points,
          max(last_received_at) over w as last_received_at
        from kudos_member_days where organization_id = ${f.organizationId}
        window w as (partition by organization_id, member_id, private order by day)),
      kept as (
        select organization_id, member_id, private, day, next_day, given::bigint,
          given_points, received::bigint, received_points, last_received_at
        from kudos_member_totals where organization_id = ${f.organizationId})
      select (select count(*)::int from (select * from kept except select * from expected) x)
          as extra,
        (select count(*)::int from (select * from expected except select * from kept) x)
          as missing`.execute(db);
    expect(rows[0]).toEqual({ extra: 0, missing: 0 });
    const today = localDate(new Date(), 'UTC');
    const range = { from: addDays(today, -1), to: today };
    const quiet = { days: 30, asOf: new Date() };
    const counted = await readInsights(db, f.organizationId, range, quiet);
    expect(counted).toEqual(await directInsights(db, f.organizationId, range, quiet));
    // Bo's public kudos today: the 4 points given now (the 5 before them are not in range).
    expect(counted.receivers).toEqual([
      expect.objectContaining({ memberId: f.members.Bo?.id, kudos: 1, points: 4 }),
    ]);
  });
});
