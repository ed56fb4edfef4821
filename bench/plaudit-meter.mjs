// Loaded first (`node --import`) into the benchmarks' Plaudit process: counts what a
// command costs whatever the machine's load, the process's CPU time (process.cpuUsage) and
// its SQL round trips (each pg query, transactions' begin and commit included, is one),
// and what it waited for (a pool connection; a CPU, on Linux), and prints them as a JSON line `{"meter": …}` on SIGUSR2 and as the process exits.
// dist/ imports pg from node_modules, the same module as here, so counting its Client's
// query counts every statement Plaudit sends. Plain JavaScript, so that the measured
// process runs without the tsx loader.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
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

// Where a process's work waits rather than computes: for a pool connection (each
// statement outside a transaction, and each transaction, takes one), and, on Linux, for
// a CPU (the main thread runnable but not running: a busy machine's run queue).
let poolWaitMs = 0;
const connect = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function timedConnect(callback) {
  const started = performance.now();
  if (typeof callback === 'function') {
    return connect.call(this, (error, client, release) => {
      poolWaitMs += performance.now() - started;
      callback(error, client, release);
    });
  }
  return connect.call(this).then((client) => {
    poolWaitMs += performance.now() - started;
    return client;
  });
};

/** The main thread's time waiting on a run queue (/proc schedstat's second field), or 0. */
function runQueueMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(fields[1]) / 1e6;
  } catch {
    return 0;
  }
}

function printMeter() {
  const { user, system } = process.cpuUsage();
  const meter = {
    cpuMs: (user + system) / 1000,
    queries,
    transactions,
    poolWaitMs,
    runQueueMs: runQueueMs(),
  };
  process.stdout.write(`${JSON.stringify({ meter })}\n`);
}

process.on('SIGUSR2', printMeter);
process.on('exit', printMeter);
