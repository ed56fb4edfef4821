/**
 * `npx tsx bench/console-plans.ts <database URL>…`: what each query of the console's
 * insights (90 and 365 days) and overview reads in a database bench:console kept
 * (BENCH_KEEP_DATABASE=1), from `explain (analyze, buffers)`: the rows its plan's nodes
 * produced and the buffers (8 kB pages) it touched, beside its time. Buffers and rows do
 * not depend on the machine's load, so sizes can be compared on a busy machine: a query
 * whose work does not grow with the kudos kept reads about as many at each size (for the
 * same people).
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { readInsights } from '../src/console/insights/insight-queries.ts';
import { addDays, localDate } from '../src/console/insights/insight-range.ts';
import { overviewFigures } from '../src/console/overview-figures.ts';
import type { Database } from '../src/db/database.ts';
import { RecognitionSettingsCache } from '../src/recognition/settings-cache.ts';

interface Logged {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

/** Rows produced by every node of a plan (each node's rows times its loops), summed. */
const rowsOf = (node: PlanNode): number =>
  node['Actual Rows'] * node['Actual Loops'] +
  (node.Plans ?? []).reduce((sum, child) => sum + rowsOf(child), 0);

/** The first words of a query, to name it. */
const nameOf = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .replace(/^ ?(with [a-z_]+ as (materialized )?\()?/i, '')
    .slice(0, 70);

for (const url of process.argv.slice(2)) {
  // As the console runs them (serialPlans in insight-queries.ts): without parallel workers.
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    options: '-c max_parallel_workers_per_gather=0',
  });
  const logged: Logged[] = [];
  const db = new Kysely({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query' && /^\s*(with|select)/i.test(event.query.sql)) {
        logged.push({ sql: event.query.sql, parameters: event.query.parameters });
      }
    },
  }) as unknown as Database;
  try {
    const { rows } = await pool.query<{ id: number; timezone: string }>(
      'select id::int, timezone from organizations order by id limit 1',
    );
    const organization = rows[0];
    if (!organization) throw new Error(`${url}: no organization`);
    const kudos = (
      await pool.query<{ n: number }>('select count(*)::int as n from recognition_recipients')
    ).rows[0]?.n;
    const today = localDate(new Date(), organization.timezone);
    const views: Array<[string, () => Promise<unknown>]> = [
      ...[90, 365].map(
        (days) =>
          [
            `insights ${days} days`,
            () =>
              readInsights(
                db,
                organization.id,
                { from: addDays(today, 1 - days), to: today },
                { days: 30, asOf: new Date() },
              ),
          ] as [string, () => Promise<unknown>],
      ),
      [
        'overview',
        () => overviewFigures({ db, settings: new RecognitionSettingsCache(db) }, organization.id),
      ],
    ];
    console.log(`\n${url}: ${kudos} kudos`);
    for (const [view, read] of views) {
      logged.length = 0;
      await read();
      for (const query of [...logged]) {
        const explained = await pool.query(
          `explain (analyze, buffers, format json) ${query.sql}`,
          query.parameters as unknown[],
        );
        const [plan] = explained.rows[0]['QUERY PLAN'] as [
          { Plan: PlanNode; 'Execution Time': number },
        ];
        console.log(
          `  ${view}: ${nameOf(query.sql)}… ${rowsOf(plan.Plan)} rows, ` +
            `${plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks']} buffers, ` +
            `${plan['Execution Time'].toFixed(1)} ms`,
        );
      }
    }
  } finally {
    await db.destroy();
  }
}
