/**
 * `npm run bench:ledger`: kudos-shaped ledger writes (two linked transfers: allowance
 * spent, points issued) from 16 concurrent clients on real Postgres, beside pgbench TPC-B
 * with 16 clients on the same server, in the same run.
 *
 * BENCH_SECONDS (default 20) sets each phase's length.
 *
 * BENCH_TRANSFERS (e.g. 100000,20000000,100000): instead, the ledger at volume (issue 19's
 * goal: a give and a balance read at 20,000,000 transfers within 1.2× of 100,000). Each
 * size is an organization whose ledger holds that many transfers, in its own database
 * `${BENCH_DATABASE_PREFIX}_${transfers}` (default prefix plaudit_bench_ledger): seeded
 * set-based (bench/ledger-volume.ts says how) and verified as `ledger:verify` does, once;
 * the database is kept and marked seeded and verified (its comment), and later runs reuse
 * a marked database automatically (BENCH_RESEED=1 seeds it afresh). A size named twice is
 * an A/A control: the same ledger measured as two arms, whose ratio shows the method's noise.
 *
 * Timed one size after the other, two runs at the same size differed by 40% on this shared
 * machine, so the sizes are measured interleaved, and drifts of the machine's speed hit
 * them alike: BENCH_ROUNDS (default 30) rounds, each timing BENCH_SAMPLES (default 100)
 * gives one at a time (through Ledger.transfer, the real write path) on every size, in
 * blocks ordered A B B A (B A A B the next round) after a warm-up, then as many balance
 * reads (a member's two balances, as every command reads them). For each size: p50/p99
 * over all rounds; against the first size, the median of the per-round ratios of medians,
 * their interquartile range, the 95% confidence interval of that median, and the verdict
 * against 1.2× (settled only when the interval lies on one side of it). Beside them,
 * load-independent: the CPU time per call of Postgres' processes for that database (from
 * /proc, when the server runs on this machine) and of this process; the buffers (and reads
 * from the OS) and rows each relation gave one give and one balance read (Postgres' own
 * per-transaction counts); the WAL one give writes (auto_explain in one session: records,
 * full-page images, bytes) and the checkpoints the server made during the rounds, since
 * after each checkpoint a give on a large ledger, whose members' index entries fill pages
 * of their own, writes those pages whole. pgbench -S with one client, in the same run, is
 * the baseline.
 */
import { performance } from 'node:perf_hooks';
import { type Arm, interleavedRounds } from './ledger-rounds.ts';
import {
  openVolumeLedger,
  type VolumeFacts,
  type VolumeLedger,
  volumeFacts,
} from './ledger-volume.ts';
import { reportVolumes } from './ledger-volume-report.ts';
import { ledgerKudos } from './ledger-workload.ts';
import { percentile, pgbenchTps } from './postgres-server.ts';

const CLIENTS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const VOLUMES = process.env.BENCH_TRANSFERS?.split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const WARM_UP = 5;
const GOAL = 1.2;

if (VOLUMES) {
  for (const value of [...VOLUMES, ROUNDS, SAMPLES]) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(
        'BENCH_TRANSFERS, BENCH_ROUNDS and BENCH_SAMPLES must be whole numbers of at least 1',
      );
    }
  }
  const volumes = new Map<number, VolumeLedger>();
  try {
    for (const transfers of VOLUMES) {
      if (volumes.has(transfers)) continue;
      const started = performance.now();
      console.log(`ledger of ${transfers} transfers: opening (the first run seeds it)…`);
      const volume = await openVolumeLedger(transfers, {
        prefix: process.env.BENCH_DATABASE_PREFIX ?? 'plaudit_bench_ledger',
        reseed: process.env.BENCH_RESEED === '1',
      });
      volumes.set(transfers, volume);
      console.log(
        `  ${volume.name}: ${volume.note} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
    const arms: Arm[] = VOLUMES.map((transfers, index) => ({
      label: VOLUMES.indexOf(transfers) === index ? `${transfers}` : `${transfers} (again)`,
      volume: volumes.get(transfers) as VolumeLedger,
    }));
    const rounds = await interleavedRounds(arms, {
      rounds: ROUNDS,
      samples: SAMPLES,
      warmUp: WARM_UP,
    });
    const facts = new Map<number, VolumeFacts>();
    for (const [transfers, volume] of volumes) facts.set(transfers, await volumeFacts(volume));
    const tps = await pgbenchTps(1, 10, 'select-only');
    reportVolumes(arms, rounds, facts, tps, {
      rounds: ROUNDS,
      samples: SAMPLES,
      warmUp: WARM_UP,
      goal: GOAL,
    });
  } finally {
    for (const volume of volumes.values()) await volume.db.destroy();
  }
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
