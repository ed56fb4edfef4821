import {
  type Arm,
  type ArmFigures,
  OPERATIONS,
  type RoundsFigures,
  type RoundsOptions,
} from './ledger-rounds.ts';
import type { VolumeFacts } from './ledger-volume.ts';
import { percentile } from './postgres-server.ts';
import { medianInterval, quartiles, roundRatios, verdict } from './round-statistics.ts';

/** Rows of one relation a single give or balance read reads only when it scans it. */
const SCAN_ROWS = 100;

/** Two decimals. */
const d2 = (value: number) => Number(value.toFixed(2));
/** A quartile range as text: `median (q1–q3)`. */
const spread = (values: readonly number[]) => {
  const [q1, median, q3] = quartiles(values);
  return `${median.toFixed(2)} (${q1.toFixed(2)}–${q3.toFixed(2)})`;
};

/** The 95 % confidence interval of the median as text. */
const interval = (values: readonly number[]) =>
  medianInterval(values)
    .map((bound) => bound.toFixed(2))
    .join('–');

/**
 * bench:ledger's figures at volume: each size's p50/p99, its per-round ratios to the first
 * size (median and IQR) of time and of CPU, the buffers per relation, and the verdict.
 */
export function reportVolumes(
  arms: readonly Arm[],
  rounds: RoundsFigures,
  facts: Map<number, VolumeFacts>,
  tps: number,
  options: RoundsOptions & { readonly goal: number },
) {
  const { samples, warmUp, goal } = options;
  const figures = rounds.operations;
  console.log(
    `\nledger at volume: ${options.rounds} rounds × ${samples} timed calls per size (blocks A B … B A, ${warmUp} untimed first), gives then balance reads`,
  );
  for (const [transfers, f] of facts) {
    const arm = arms.find((a) => a.volume.transfers === transfers) as Arm;
    console.log(
      `  ${transfers} (${arm.volume.name}, ${arm.volume.note}): ${f.count} transfers now, table ${f.tableMb} MB, its indexes ${f.indexesMb} MB`,
    );
  }
  console.log(
    `the rounds took ${rounds.seconds.toFixed(0)} s, in which the server made ${rounds.checkpoints} checkpoints (any database's)`,
  );
  console.log(
    `pgbench -S, 1 client, same run: ${Math.round(tps)} tps, ${(1000 / tps).toFixed(3)} ms a select (baseline)`,
  );
  const verdicts: string[] = [];
  for (const op of OPERATIONS) {
    const all = figures.get(op) as ArmFigures[];
    const base = all[0] as ArmFigures;
    console.log(
      `\none ${op === 'give' ? 'give (Ledger.transfer, two linked transfers)' : "balance read (a member's two balances)"} at a time; ratios to ${arms[0]?.label}: median of the ${options.rounds} per-round ratios (IQR)`,
    );
    console.table(
      all.map((f, index) => ({
        transfers: (arms[index] as Arm).label,
        'p50 ms': d2(percentile(f.latencies, 0.5)),
        'p99 ms': d2(percentile(f.latencies, 0.99)),
        'p50 ratio (IQR)': spread(roundRatios(f.roundMedians, base.roundMedians)),
        'its 95% CI': interval(roundRatios(f.roundMedians, base.roundMedians)),
        'p99 ÷ first': d2(percentile(f.latencies, 0.99) / percentile(base.latencies, 0.99)),
        'server CPU µs': d2(quartiles(f.roundServerCpuUs)[1]),
        'server CPU ratio (IQR)': spread(roundRatios(f.roundServerCpuUs, base.roundServerCpuUs)),
        'client CPU µs': d2(quartiles(f.roundClientCpuUs)[1]),
        'client CPU ratio (IQR)': spread(roundRatios(f.roundClientCpuUs, base.roundClientCpuUs)),
      })),
    );
    all.forEach((f, index) => {
      if (index === 0) return;
      const label = (arms[index] as Arm).label;
      verdicts.push(
        `${op} at ${label} vs ${arms[0]?.label}: p50 ${verdict(roundRatios(f.roundMedians, base.roundMedians), goal)}; server CPU ${verdict(roundRatios(f.roundServerCpuUs, base.roundServerCpuUs), goal)}`,
      );
    });
  }
  for (const op of OPERATIONS) {
    console.log(
      `\none ${op}: buffers (of which read from the OS, not in shared buffers) and rows per relation (mean), at each size`,
    );
    const names = [...new Set([...facts.values()].flatMap((f) => Object.keys(f.work[op])))].sort();
    console.table(
      names.map((name) =>
        Object.fromEntries([
          ['relation', name],
          ...[...facts].map(([transfers, f]) => {
            const w = f.work[op][name];
            return [`${transfers}`, w ? `${w.buffers} buf (${w.reads} read), ${w.rows} rows` : '-'];
          }),
        ]),
      ),
    );
  }
  // A one-at-a-time give or balance read reads a few rows of each relation by its indexes;
  // hundreds mean a plan that scans one (seen: the balance trigger's update scanning every
  // balance row when that table is compact, a plan that flips on its page count).
  for (const op of OPERATIONS) {
    for (const [transfers, f] of facts) {
      for (const [name, w] of Object.entries(f.work[op])) {
        if (w.rows >= SCAN_ROWS) {
          console.log(
            `  note: at ${transfers}, one ${op} read ${w.rows} rows of ${name}, a scan where index probes read a few`,
          );
        }
      }
    }
  }
  console.log(
    '\none give: its WAL (mean of gives counted by auto_explain in one session; full-page images: pages first changed since a checkpoint)',
  );
  console.table(
    [...facts].map(([transfers, f]) => ({
      transfers,
      'WAL records': f.wal.records,
      'full-page images': f.wal.fullPages,
      'WAL bytes': f.wal.bytes,
    })),
  );
  const [largest, largestFacts] = [...facts].sort((a, b) => b[0] - a[0])[0] as [
    number,
    VolumeFacts,
  ];
  console.log(`\nthe balance read's plan at ${largest} transfers:`);
  console.log(largestFacts.balancePlan);
  console.log(
    `\nverdict (goal: within ${goal}× of ${arms[0]?.label}, settled when the 95% confidence interval of the median per-round ratio is on one side):`,
  );
  for (const line of verdicts) console.log(`  ${line}`);
}
