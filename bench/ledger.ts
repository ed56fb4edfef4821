/**
 * `npm run bench:ledger`: kudos-shaped ledger writes (two linked transfers: allowance
 * spent, points issued) from 16 concurrent clients on real Postgres, beside pgbench TPC-B
 * with 16 clients on the same server, in the same run.
 *
 * BENCH_SECONDS (default 20) sets each phase's length.
 *
 * BENCH_TRANSFERS (e.g. 100000,20000000): instead, the ledger at volume. For each number,
 * an organization whose ledger holds that many transfers (seeded set-based, kudos-shaped,
 * over a year), then BENCH_SAMPLES (default 1000) gives one at a time and as many reads of
 * a member's balances, as every command reads them: their p50/p99 at each size and the
 * ratio to the first size (goal: within 1.2× at 20,000,000 of 100,000), beside pgbench -S;
 * and, load-independent, the buffers and rows each relation gave one give and one balance
 * read (Postgres' own per-transaction counts), which should not grow with the ledger.
 * Seeding twenty million transfers takes minutes (bench/ledger-volume.ts says how), and
 * the seeded ledger is verified as `ledger:verify` does before anything is measured.
 * Each size's database is `${BENCH_DATABASE_PREFIX}_${transfers}` (default
 * plaudit_bench_ledger_volume), kept and used again unseeded with BENCH_KEEP_DATABASE=1.
 */
import { ledgerAtVolume, p, type VolumeFigures } from './ledger-volume.ts';
import { ledgerKudos } from './ledger-workload.ts';
import { percentile, pgbenchTps } from './postgres-server.ts';

const CLIENTS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const VOLUMES = process.env.BENCH_TRANSFERS?.split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000);

if (VOLUMES) {
  for (const value of [...VOLUMES, SAMPLES]) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error('BENCH_TRANSFERS and BENCH_SAMPLES must be whole numbers of at least 1');
    }
  }
  const figures: VolumeFigures[] = [];
  for (const transfers of VOLUMES) {
    figures.push(
      await ledgerAtVolume(transfers, SAMPLES, {
        prefix: process.env.BENCH_DATABASE_PREFIX ?? 'plaudit_bench_ledger_volume',
        keep: process.env.BENCH_KEEP_DATABASE === '1',
      }),
    );
  }
  const tps = await pgbenchTps(1, 10, 'select-only');
  const first = figures[0] as VolumeFigures;
  console.log(`\nledger at volume: ${SAMPLES} gives one at a time, then ${SAMPLES} balance reads`);
  for (const f of figures) {
    console.log(
      `  ${f.transfers} transfers (${f.note}): table ${f.tableMb} MB, its indexes ${f.indexesMb} MB`,
    );
  }
  console.log(
    `pgbench -S, 1 client, same run: ${Math.round(tps)} tps, ${(1000 / tps).toFixed(3)} ms a select (baseline)\n`,
  );
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  console.table(
    figures.map((f) => ({
      transfers: f.transfers,
      'give p50 ms': p(f.gives, 0.5),
      'give p99 ms': p(f.gives, 0.99),
      'balance p50 ms': p(f.balances, 0.5),
      'balance p99 ms': p(f.balances, 0.99),
      'give p50 ÷ first (goal ≤ 1.2)': ratio(
        percentile(f.gives, 0.5),
        percentile(first.gives, 0.5),
      ),
      'balance p50 ÷ first (goal ≤ 1.2)': ratio(
        percentile(f.balances, 0.5),
        percentile(first.balances, 0.5),
      ),
    })),
  );
  for (const operation of ['give', 'balance'] as const) {
    console.log(`\none ${operation}: buffers and rows per relation (mean), at each size`);
    const names = [...new Set(figures.flatMap((f) => Object.keys(f.work[operation])))].sort();
    console.table(
      names.map((name) =>
        Object.fromEntries([
          ['relation', name],
          ...figures.map((f) => {
            const w = f.work[operation][name];
            return [`${f.transfers}`, w ? `${w.buffers} buf, ${w.rows} rows` : '-'];
          }),
        ]),
      ),
    );
  }
  console.log(
    `\nthe balance read's plan at ${(figures.at(-1) as VolumeFigures).transfers} transfers:`,
  );
  console.log((figures.at(-1) as VolumeFigures).balancePlan);
} else {
  const kudos = await ledgerKudos(CLIENTS, SECONDS);
  const tps = await pgbenchTps(CLIENTS, SECONDS);

  console.log(`\nledger benchmark: ${CLIENTS} clients, ${SECONDS} s each phase\n`);
  console.table([
    { measure: 'kudos/s (2 linked transfers each)', value: Math.round(kudos.perSecond) },
    { measure: 'pgbench TPC-B tps (baseline)', value: Math.round(tps) },
    {
      measure: 'ratio kudos/s ÷ tps (target ≥ 0.5)',
      value: Number((kudos.perSecond / tps).toFixed(2)),
    },
    {
      measure: 'kudos p50 latency, ms',
      value: Number(percentile(kudos.latencies, 0.5).toFixed(2)),
    },
    {
      measure: 'kudos p99 latency, ms',
      value: Number(percentile(kudos.latencies, 0.99).toFixed(2)),
    },
  ]);
}
