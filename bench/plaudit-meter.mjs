// Loaded first (`node --import`) into the benchmarks' Plaudit process: counts what a
// command costs whatever the machine's load, the process's CPU time (process.cpuUsage) and
// its SQL round trips (each pg query, transactions' begin and commit included, is one),
// and prints both as a JSON line `{"meter": …}` on SIGUSR2 and as the process exits.
// dist/ imports pg from node_modules, the same module as here, so counting its Client's
// query counts every statement Plaudit sends. Plain JavaScript, so that the measured
// process runs without the tsx loader.
import pg from 'pg';

let queries = 0;
let transactions = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  queries += 1;
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string' && /^\s*begin\b/i.test(text)) transactions += 1;
  return query.call(this, config, ...rest);
};

function printMeter() {
  const { user, system } = process.cpuUsage();
  const meter = { cpuMs: (user + system) / 1000, queries, transactions };
  process.stdout.write(`${JSON.stringify({ meter })}\n`);
}

process.on('SIGUSR2', printMeter);
process.on('exit', printMeter);
