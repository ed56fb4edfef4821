/**
 * `npm run bench:console`: how fast the web console's heaviest pages answer on real
 * Postgres as an organization grows. Each size is an organization of one kudos received a
 * working day, about 200 a person a year: at 100,000 kudos, 500 members in 10 groups, at
 * 1,000,000 5,000 members, at 10,000,000 50,000 members; the kudos go to 1, 2 or 3
 * people (1.43 on average) over the last 365 days, with company values, one in 233
 * reversed, with their ledger transfers and balances, a catalog, six redemptions a member
 * (holds, posts, voids) and their charges, and a few thousand audit entries, all seeded
 * with set-based SQL into the real tables in one transaction, as bench:ledger seeds
 * (bench/console-seed.ts: triggers off, indexes built after, the balances summed and the
 * kudos counted per day once), then checked with ledger:verify's check and the counts'
 * sums. Each page is read BENCH_REQUESTS times
 * (default 50) one after another, after a warm-up, over real HTTP by an admin and HR
 * signed in through a one-time link: every page the console has, a person's page (the busiest
 * one's), the redemption queue, the catalog and the settings included. Beside them, in the same run on the same server:
 * the insights page's queries run directly (one read-only transaction, as the page runs
 * them), the same insights counted straight from the kudos as the console did before it
 * kept counts (up to 1,000,000 kudos, BENCH_DIRECT_REQUESTS times), and pgbench's
 * select-only script with one client on its own scratch database.
 *
 * BENCH_SIZES: the kudos of each size, comma-separated (default 100000,1000000; add
 * 10000000 for the largest: its seed's statements took 22 minutes on this machine at
 * load 12 to 20, 10 of them counting the kudos per day, and 31 with the vacuum, the checks
 * and the roll-up, so keep its database).
 * BENCH_DATABASE_URL: the server. Each size has its own database, `${BENCH_DATABASE_PREFIX}_${kudos}`
 * (default prefix plaudit_bench_console), dropped after the run unless BENCH_KEEP_DATABASE=1:
 * a kept one is used again as it is by the next run (its seed is skipped), to measure again
 * without seeding ten million kudos each time, or to look at its query plans.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { AdminServices } from '../src/admin/admin-services.ts';
import { consoleRouter } from '../src/console/console-router.ts';
import { Signer } from '../src/console/console-signer.ts';
import { readInsights } from '../src/console/insights/insight-queries.ts';
import { addDays, localDate } from '../src/console/insights/insight-range.ts';
import { rollUpKudos } from '../src/console/insights/kudos-rollups.ts';
import { createSignInLink } from '../src/console/sign-in-links.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createHttpApp } from '../src/http/server.ts';
import { InlineJobs } from '../src/jobs/inline-jobs.ts';
import { createRecognitionServices } from '../src/recognition/recognition-services.ts';
import { RewardDesk } from '../src/rewards/reward-desk.ts';
import { ConsoleClient } from '../test/support/console-client.ts';
import { directInsights } from '../test/support/direct-insight-queries.ts';
import { checkSeed, type Size, seed, sizeOf, TIMEZONE } from './console-seed.ts';
import {
  dropDatabase,
  hasTable,
  keptOrFreshDatabase,
  percentile,
  pgbenchTps,
} from './postgres-server.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50);
const DIRECT_REQUESTS = Number(process.env.BENCH_DIRECT_REQUESTS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const PREFIX = process.env.BENCH_DATABASE_PREFIX ?? 'plaudit_bench_console';
const KEEP = process.env.BENCH_KEEP_DATABASE === '1';
const WARM_UP = 5;
const PGBENCH_SECONDS = 10;
const PEOPLE_QUERY = 'an';
/** The direct count of the insights (every kudos read) is measured up to this size. */
const DIRECT_UP_TO = 1_000_000;

for (const [name, value] of [
  ['BENCH_REQUESTS', REQUESTS],
  ['BENCH_DIRECT_REQUESTS', DIRECT_REQUESTS],
  ...SIZES.map((size) => ['BENCH_SIZES', size] as const),
] as const) {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be whole numbers of at least 1`);
  }
}

/** Milliseconds of each call, sorted, after WARM_UP calls not counted. */
async function timed(times: number, call: () => Promise<void>): Promise<number[]> {
  for (let n = 0; n < Math.min(WARM_UP, times); n++) await call();
  const latencies: number[] = [];
  for (let n = 0; n < times; n++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function startConsole(db: Database): Promise<{ url: string; server: Server }> {
  const logger = pino({ level: 'silent' });
  const recognition = createRecognitionServices(db);
  const jobs = new InlineJobs(logger);
  const services: AdminServices = {
    db,
    ledger: recognition.ledger,
    settings: recognition.settings,
    jobs,
    desk: new RewardDesk(db, recognition.ledger, jobs, logger),
    logger,
  };
  const app = createHttpApp({
    db,
    logger,
    pingRedis: async () => 'not used',
    mount: [
      consoleRouter({
        services,
        local: false,
        logger,
        signer: new Signer('bench-console-signing-key-0123456789abcdef'),
        secureCookies: false,
      }),
    ],
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The size's database: a kept one as it is, or a new one, seeded. */
async function databaseFor(
  size: Size,
): Promise<{ db: Database; url: string; name: string; note: string }> {
  const name = `${PREFIX}_${size.kudos}`;
  // The audit entries are the seed's last rows: without them, it is seeded again.
  const { url, kept } = await keptOrFreshDatabase(
    name,
    KEEP,
    async (client) =>
      (await hasTable(client, 'audit_log')) &&
      (await client.query('select 1 from audit_log limit 1')).rowCount === 1,
  );
  const db = await openDatabase({ url, poolSize: 4 });
  // Seeding millions of rows takes statements far longer than the pages' time limit.
  const seeding = await openDatabase({ url, poolSize: 1, statementTimeoutMs: 0 });
  const notes: string[] = [];
  try {
    // A kept database is brought to the latest migrations too (its seed is kept).
    await migrateToLatest(seeding);
    if (kept) notes.push('kept from an earlier run');
    else {
      const seedStarted = performance.now();
      const { organizationId } = await seed(seeding, size);
      const seeded = (performance.now() - seedStarted) / 1000;
      const vacuumStarted = performance.now();
      await sql`vacuum (analyze)`.execute(seeding);
      const vacuumed = (performance.now() - vacuumStarted) / 1000;
      const checkStarted = performance.now();
      await checkSeed(seeding, organizationId);
      const checked = (performance.now() - checkStarted) / 1000;
      notes.push(
        `seeded in ${seeded.toFixed(1)} s (+ vacuum analyze ${vacuumed.toFixed(1)} s, ` +
          `ledger:verify's check and the kudos counts' ${checked.toFixed(1)} s)`,
      );
    }
    // The closed days rolled up, as the hourly job does (migrations/0027): from nothing
    // after a seed, or only the days since for a kept database.
    const rollStarted = performance.now();
    const organizations = await seeding.selectFrom('organizations').select('id').execute();
    for (const { id } of organizations) await rollUpKudos(seeding, id);
    const rolled = (performance.now() - rollStarted) / 1000;
    await sql`vacuum (analyze) kudos_member_running, kudos_group_days, kudos_pair_totals,
      kudos_rollup_days, kudos_rollup_state`.execute(seeding);
    notes.push(`rolled up through yesterday in ${rolled.toFixed(1)} s`);
  } finally {
    await seeding.destroy();
  }
  // Said as it goes too: a run that fails later still tells how long the seed took.
  console.error(`${size.kudos} kudos: ${notes.join('; ')}`);
  return { db, url, name, note: notes.join('; ') };
}

const ms = (value: number) => Number(value.toFixed(1));
/** measure → size → [p50, p99] */
const figures = new Map<string, Map<number, [number, number | undefined]>>();
const record = (measure: string, kudos: number, p50: number, p99?: number) => {
  // As it goes, so a long run shows its figures before the table at the end.
  console.error(`${kudos} kudos: ${measure}: p50 ${ms(p50)} ms, p99 ${p99 && ms(p99)} ms`);
  const bySize = figures.get(measure) ?? new Map<number, [number, number | undefined]>();
  bySize.set(kudos, [ms(p50), p99 === undefined ? undefined : ms(p99)]);
  figures.set(measure, bySize);
};
const headers: string[] = [];
/** The machine is shared: timings are read beside its load. */
const loadAverage = () =>
  loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');

/** Every page of one size, and its insights' queries. */
async function measureSize(size: Size): Promise<void> {
  const { db, url, name, note } = await databaseFor(size);
  let server: Server | undefined;
  try {
    const organization = await db
      .selectFrom('organizations')
      .select('id')
      .executeTakeFirstOrThrow();
    const organizationId = organization.id;
    const admin = await db
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const unlimited = await openDatabase({ url, poolSize: 1, statementTimeoutMs: 0 });
    const counts = (
      await sql<Record<string, number>>`select
        (select count(*)::int from members where organization_id = ${organizationId}) as members,
        (select count(*)::int from recognitions where organization_id = ${organizationId}) as recognitions,
        (select count(*)::int from recognition_recipients where organization_id = ${organizationId}) as recipients,
        (select count(*)::int from recognition_reversals where organization_id = ${organizationId}) as reversals,
        (select count(*)::int from ledger_transfers where organization_id = ${organizationId}) as transfers,
        (select count(*)::int from redemptions where organization_id = ${organizationId}) as redemptions,
        (select count(*)::int from audit_log where organization_id = ${organizationId}) as audit,
        (select count(*)::int from kudos_member_days where organization_id = ${organizationId}) as member_days,
        (select count(*)::int from kudos_pair_days where organization_id = ${organizationId}) as pair_days,
        (select count(*)::int from kudos_member_running where organization_id = ${organizationId}) as running,
        (select count(*)::int from kudos_pair_totals where organization_id = ${organizationId}) as pair_totals,
        (select count(*)::int from kudos_pair_totals where organization_id = ${organizationId} and kudos >= 3) as pair_candidates`
        // Counting tens of millions of rows takes longer than the pages' statement limit.
        .execute(unlimited)
        .finally(() => unlimited.destroy())
    ).rows[0] as Record<string, number>;
    headers.push(
      `${size.kudos.toLocaleString('en')} kudos: ${counts.members} members in 10 groups, ` +
        `${counts.recognitions} recognitions to ${counts.recipients} recipients over 365 days ` +
        `(${counts.reversals} reversed), ${counts.transfers} ledger transfers, ` +
        `${counts.redemptions} redemptions, ${counts.audit} audit entries; counted in ` +
        `${counts.member_days} person-days and ` +
        `${counts.pair_days} pair-days; rolled up in ${counts.running} person-day running totals ` +
        `and ${counts.pair_totals} pairs' totals (${counts.pair_candidates} with 3 or more); ${note}`,
    );

    headers.push(`  load average before measuring it: ${loadAverage()}`);
    const started = await startConsole(db);
    server = started.server;
    const client = new ConsoleClient(started.url);
    const signIn = await client.post('/console/sign-in', {
      _csrf: null,
      token: await createSignInLink(db, organizationId, admin.id),
    });
    if (signIn.status !== 303) throw new Error(`sign-in failed: ${signIn.status}`);

    const today = localDate(new Date(), TIMEZONE);
    const year = { from: addDays(today, -364), to: today };
    const quarter = { from: addDays(today, -89), to: today };
    const pages: Array<[string, string]> = [
      ['GET /console (overview)', '/console'],
      ['GET /console/insights (last 90 days)', '/console/insights'],
      ['GET /console/insights (365 days)', `/console/insights?from=${year.from}&to=${year.to}`],
      [`GET /console/people?q=${PEOPLE_QUERY}`, `/console/people?q=${PEOPLE_QUERY}`],
      // The busiest person's page (the skew sends the first members the most kudos).
      [`GET /console/people/:id (the busiest)`, `/console/people/${admin.id}`],
      ['GET /console/audit', '/console/audit'],
      ['GET /console/billing', '/console/billing'],
      ['GET /console/permissions (everyone listed)', '/console/permissions'],
      ['GET /console/redemptions (the queue)', '/console/redemptions'],
      ['GET /console/catalog', '/console/catalog'],
      ['GET /console/settings', '/console/settings'],
      ['GET /console/no-such-page (404: session and layout only)', '/console/no-such-page'],
    ];
    for (const [measure, path] of pages) {
      const latencies = await timed(REQUESTS, async () => {
        const page = await client.get(path);
        const expected = path === '/console/no-such-page' ? 404 : 200;
        if (page.status !== expected) throw new Error(`${path} answered ${page.status}`);
      });
      record(measure, size.kudos, percentile(latencies, 0.5), percentile(latencies, 0.99));
    }
    const quiet = { days: 30, asOf: new Date() };
    for (const [days, range] of [
      [90, quarter],
      [365, year],
    ] as const) {
      const latencies = await timed(REQUESTS, async () => {
        await readInsights(db, organizationId, range, quiet);
      });
      record(
        `insights ${days} days: its 8 queries of the counts, run directly`,
        size.kudos,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
      );
      if (size.kudos <= DIRECT_UP_TO) {
        // Counting every kudos takes longer than the pages' statement time limit.
        const unlimited = await openDatabase({ url, poolSize: 1, statementTimeoutMs: 0 });
        const direct = await timed(DIRECT_REQUESTS, async () => {
          await directInsights(unlimited, organizationId, range, quiet);
        }).finally(() => unlimited.destroy());
        record(
          `insights ${days} days counted from every kudos (before 0025; baseline)`,
          size.kudos,
          percentile(direct, 0.5),
          percentile(direct, 0.99),
        );
      }
    }
  } finally {
    const closing = server;
    if (closing) {
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    }
    await db.destroy();
    if (!KEEP) await dropDatabase(name);
  }
}

for (const kudos of SIZES) await measureSize(sizeOf(kudos));
const tps = await pgbenchTps(1, PGBENCH_SECONDS, 'select-only');

console.log(
  `\nconsole benchmark: ${REQUESTS} sequential requests a page after ${WARM_UP} to warm up`,
);
for (const header of headers) console.log(`  ${header}`);
console.log(
  `pgbench -S, 1 client, same server, same run: ${Math.round(tps)} tps, ` +
    `${(1000 / tps).toFixed(3)} ms a select (baseline); load average after it: ${loadAverage()}\n`,
);
const largest = Math.max(...SIZES);
console.table(
  [...figures].map(([measure, bySize]) => {
    const row: Record<string, string | number> = { measure };
    for (const kudos of SIZES) {
      const [p50, p99] = bySize.get(kudos) ?? [];
      const label = kudos >= 1_000_000 ? `${kudos / 1_000_000}M` : `${kudos / 1_000}k`;
      row[`${label} p50 ms`] = p50 ?? '';
      row[`${label} p99 ms`] = p99 ?? '';
    }
    const smallest = bySize.get(Math.min(...SIZES))?.[1];
    const top = bySize.get(largest)?.[1];
    if (SIZES.length > 1 && smallest && top)
      row['p99 ratio largest ÷ smallest'] = ms(top / smallest);
    return row;
  }),
);
if (SIZES.includes(10_000_000)) {
  const over = [...figures]
    .filter(([measure]) => measure.startsWith('GET'))
    .filter(([, bySize]) => (bySize.get(10_000_000)?.[1] ?? 0) > 300)
    .map(([measure]) => measure);
  console.log(
    over.length === 0
      ? 'every page answers p99 ≤ 300 ms at 10,000,000 kudos (goal met)'
      : `p99 above 300 ms at 10,000,000 kudos (goal not met): ${over.join('; ')}`,
  );
}
