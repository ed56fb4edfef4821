/**
 * `npm run bench:ledger`: kudos-shaped ledger writes (two linked transfers: allowance
 * spent, points issued) from 16 concurrent clients on real Postgres, beside pgbench TPC-B
 * with 16 clients on the same server, in the same run.
 *
 * BENCH_SECONDS (default 20) sets each phase's length.
 */
import { ledgerKudos } from './ledger-workload.ts';
import { percentile, pgbenchTps } from './postgres-server.ts';

const CLIENTS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

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
  { measure: 'kudos p50 latency, ms', value: Number(percentile(kudos.latencies, 0.5).toFixed(2)) },
  { measure: 'kudos p99 latency, ms', value: Number(percentile(kudos.latencies, 0.99).toFixed(2)) },
]);
