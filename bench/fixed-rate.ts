/**
 * The open-loop load of the chat benchmarks (bench:slack, bench:teams): requests sent on a
 * fixed schedule whatever the answers' pace, so that a slow answer delays no later send
 * (a closed loop would hide the tail it causes), and the table and ratios they print.
 */
import { percentile } from './postgres-server.ts';

export interface Run {
  /** Milliseconds, sorted, of the requests that got an answer. */
  latencies: number[];
  errors: number;
  /** How many errors of each kind (an HTTP status, no answer, a wrong answer's start). */
  errorKinds: Map<string, number>;
  /**
   * The load generator's own CPU (this process) per request over the run: taken from the
   * same two cores as the servers it measures, so it is printed beside them.
   */
  clientCpuMs: number;
  /**
   * The answers of the requests sent in each second of the run: where a start's slow first
   * moments end (see {@link warmUp}).
   */
  seconds: Array<{ latencies: number[]; errors: number }>;
}

/**
 * What one send came to: its latency if it was answered at all, and what was wrong, if
 * anything, in a few words (the same words for the same fault, so that they add up).
 */
export interface Sent {
  readonly ms?: number;
  readonly error?: string;
}

/**
 * Sends `rate` requests a second for `seconds`, on schedule, and waits for every one; the
 * requests are numbered from `first` (a warm-up's and the measured run's never share one).
 */
export async function atFixedRate(
  rate: number,
  seconds: number,
  send: (index: number) => Promise<Sent>,
  first = 0,
): Promise<Run> {
  const run: Run = {
    latencies: [],
    errors: 0,
    errorKinds: new Map(),
    clientCpuMs: 0,
    seconds: Array.from({ length: Math.ceil(seconds) }, () => ({ latencies: [], errors: 0 })),
  };
  const cpu = process.cpuUsage();
  const failed = (kind: string, second: Run['seconds'][number] | undefined) => {
    run.errors += 1;
    run.errorKinds.set(kind, (run.errorKinds.get(kind) ?? 0) + 1);
    if (second) second.errors += 1;
  };
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const sends: Array<Promise<void>> = [];
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const second = run.seconds[Math.floor(index / rate)];
    sends.push(
      send(first + index)
        .then((sent) => {
          if (sent.ms !== undefined) {
            run.latencies.push(sent.ms);
            second?.latencies.push(sent.ms);
          }
          if (sent.error !== undefined) failed(sent.error, second);
        })
        .catch((error: unknown) => failed(`request failed: ${String(error).slice(0, 60)}`, second)),
    );
  }
  await Promise.all(sends);
  const { user, system } = process.cpuUsage(cpu);
  run.clientCpuMs = (user + system) / 1000 / total;
  run.latencies.sort((a, b) => a - b);
  return run;
}

/**
 * Reads BENCH_RATE and BENCH_SECONDS (positive numbers) and BENCH_WARMUP_SECONDS (0 or more),
 * with the chat benchmarks' defaults: 200/s, 30 s measured after 5 s of warm-up.
 */
export function rateAndSeconds(): { rate: number; seconds: number; warmupSeconds: number } {
  const rate = Number(process.env.BENCH_RATE ?? 200);
  const seconds = Number(process.env.BENCH_SECONDS ?? 30);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
  if (!(rate > 0) || !(seconds > 0) || !(warmupSeconds >= 0)) {
    throw new Error(
      'BENCH_RATE and BENCH_SECONDS must be positive numbers, BENCH_WARMUP_SECONDS 0 or more',
    );
  }
  return { rate, seconds, warmupSeconds };
}

/**
 * The same load as the measured run's, for `seconds` before it, on a server just started:
 * its first seconds (the JIT compiling the hot paths, the pool's connections opening, each
 * statement first planned on each) are a start's, not the steady load the ratios are
 * about. Printed apart (see {@link printComparison}), never left out of the errors.
 */
export function warmUp(
  rate: number,
  seconds: number,
  send: (index: number) => Promise<Sent>,
): Promise<Run | undefined> {
  return seconds > 0 ? atFixedRate(rate, seconds, send) : Promise.resolve(undefined);
}

const ms = (value: number) => Number(value.toFixed(1));

/** A run's answers in words: how many, its errors, p50, p99 and max. */
function answersLine(run: Run): string {
  return (
    `${run.latencies.length} answered, ${run.errors} errors, ` +
    `p50 ${ms(percentile(run.latencies, 0.5))} ms, p99 ${ms(percentile(run.latencies, 0.99))} ms, ` +
    `max ${ms(run.latencies.at(-1) ?? Number.NaN)} ms`
  );
}

/** The measured run's percentile (0.5: p50) as a multiple of another run's. */
function multiple(measured: Run, of: Run, fraction: number): number {
  return percentile(measured.latencies, fraction) / percentile(of.latencies, fraction);
}

/**
 * Prints each run's answers (count, errors, p50, p99, max) and the measured server's p50
 * and p99 as multiples of the baseline's: issue 19's goal is p99 ≤ 5× and p50 ≤ 3×.
 */
export function printComparison(
  measured: { name: string; run: Run; warmUp?: Run },
  baseline: { name: string; run: Run; warmUp?: Run },
): void {
  console.table(
    [measured, baseline].map(({ name, run }) => ({
      server: name,
      answered: run.latencies.length,
      errors: run.errors,
      'p50 ms': ms(percentile(run.latencies, 0.5)),
      'p99 ms': ms(percentile(run.latencies, 0.99)),
      'max ms': ms(run.latencies.at(-1) ?? Number.NaN),
    })),
  );
  for (const { name, run } of [measured, baseline]) {
    for (const [kind, count] of run.errorKinds) console.log(`${name}: ${count} × ${kind}`);
  }
  console.log(
    `the load generator's own CPU per request: ${measured.run.clientCpuMs.toFixed(2)} ms ` +
      `(${measured.name}), ${baseline.run.clientCpuMs.toFixed(2)} ms (${baseline.name})`,
  );
  const verdict = (value: number, goal: number) => (value <= goal ? 'met' : 'not met');
  const p99 = multiple(measured.run, baseline.run, 0.99);
  const p50 = multiple(measured.run, baseline.run, 0.5);
  for (const { name, warmUp } of [measured, baseline]) {
    if (!warmUp) continue;
    console.log(`warm-up before it (not in the ratios): ${name}: ${answersLine(warmUp)}`);
    for (const [kind, count] of warmUp.errorKinds)
      console.log(`${name}, warm-up: ${count} × ${kind}`);
    const bySecond = warmUp.seconds.map(({ latencies, errors }, index) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return `${index + 1}: ${errors} / ${ms(percentile(sorted, 0.99))}`;
    });
    console.log(`${name}, warm-up second by second (errors / p99 ms): ${bySecond.join(', ')}`);
  }
  const errors =
    measured.run.errors +
    baseline.run.errors +
    (measured.warmUp?.errors ?? 0) +
    (baseline.warmUp?.errors ?? 0);
  console.log(
    `p99 ratio ${p99.toFixed(1)}× (goal ≤ 5×: ${verdict(p99, 5)}), ` +
      `p50 ratio ${p50.toFixed(1)}× (goal ≤ 3×: ${verdict(p50, 3)}), ` +
      `errors ${errors} (goal 0: ${errors === 0 ? 'met' : 'not met'})`,
  );
}

/**
 * Prints a reference run beside the comparison, outside the goal's ratios: its figures, and
 * the measured run's p50 and p99 as multiples of its own.
 */
export function printReference(
  measured: { name: string; run: Run },
  reference: { name: string; run: Run },
): void {
  const { run } = reference;
  const times = (fraction: number) => multiple(measured.run, run, fraction).toFixed(1);
  console.log(
    `reference (not in the goal's ratios): ${reference.name}: ${answersLine(run)}; ` +
      `${measured.name}'s p50 ${times(0.5)}× and p99 ${times(0.99)}× its own`,
  );
  for (const [kind, count] of run.errorKinds) console.log(`${reference.name}: ${count} × ${kind}`);
}
