// Loaded first (`node --import`) into the benchmarks' Plaudit process: counts what a
// command costs whatever the machine's load, the process's CPU time (process.cpuUsage) and
// its SQL round trips (each pg query, transactions' begin and commit included, is one),
// and what it waited for (a pool connection; a CPU, on Linux), and prints them as a JSON line `{"meter": …}` on SIGUSR2 and as the process exits.
// Each line also carries how long each statement took, from sending it to its result, since
// the line before: where an answer's time goes between Postgres and the process, and the
// process's pauses since the line before (garbage collections, event-loop delays), which
// hold up every answer in flight at once.
// dist/ imports pg from node_modules, the same module as here, so counting its Client's
// query counts every statement Plaudit sends. Plain JavaScript, so that the measured
// process runs without the tsx loader.
import { readFileSync } from 'node:fs';
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import pg from 'pg';

let queries = 0;
let transactions = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  queries += 1;
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string' && /^\s*begin\b/i.test(text)) transactions += 1;
  const sent = performance.now();
  const result = query.call(this, config, ...rest);
  // Timed when pg answers with a promise (kysely's way; a callback query is only counted).
  if (typeof text === 'string' && typeof result?.then === 'function') {
    result.then(
      () => timed(text, performance.now() - sent),
      () => undefined,
    );
  }
  return result;
};

/** Each statement's times (ms) since the last meter line, by its opening words. */
let statementMs = {};

/**
 * Each statement text's opening words, worked out once: a give's statement is 3 KB, and
 * working them out on every query made 40 KB of garbage a command (a heap profile of
 * bench:slack's web process), adding to the collections the benchmark measures.
 */
const openings = new Map();

function timed(text, ms) {
  let opening = openings.get(text);
  if (opening === undefined) {
    opening = text
      .slice(0, 2000)
      .replace(/\/\*.*?\*\//g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80);
    // Plaudit's statement texts are few; a text made per call is not kept.
    if (openings.size < 1000) openings.set(text, opening);
  }
  statementMs[opening] ??= [];
  statementMs[opening].push(ms);
}

/**
 * The eight statements that took the most time in all since the last line, most first:
 * how many, their total, p50 and p99 (ms). Summed up here, so that a line stays short: a
 * pipe takes a write of up to 4 KiB whole, and the process's logger writes to it too.
 */
function statementTimes() {
  const times = Object.entries(statementMs).map(([statement, list]) => {
    const sorted = list.sort((a, b) => a - b);
    const at = (fraction) =>
      round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]);
    return {
      statement,
      count: sorted.length,
      totalMs: round(sorted.reduce((sum, ms) => sum + ms, 0)),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    };
  });
  statementMs = {};
  return times.sort((a, b) => b.totalMs - a.totalMs).slice(0, 8);
}

const round = (ms) => Math.round(ms * 100) / 100;

/** V8's kinds of collection, as perf_hooks names them, by the names printed. */
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

/** Each kind's collections since the last meter line: how many, their time, the longest. */
let collections = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind] ?? 'other';
    collections[kind] ??= { count: 0, totalMs: 0, longestMs: 0 };
    const seen = collections[kind];
    seen.count += 1;
    seen.totalMs += entry.duration;
    seen.longestMs = Math.max(seen.longestMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

/**
 * The event loop's ticks since the last meter line (ns): a timer every LOOP_TICK_MS, each
 * recorded as the time from the tick before, so its lateness is that less the tick.
 */
const LOOP_TICK_MS = 5;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
loopDelay.enable();

/** The pauses since the last line, rounded; the counts start again. */
function pauses() {
  const gc = Object.fromEntries(
    Object.entries(collections).map(([kind, seen]) => [
      kind,
      { count: seen.count, totalMs: round(seen.totalMs), longestMs: round(seen.longestMs) },
    ]),
  );
  collections = {};
  const late = (ns) => round(Math.max(0, ns / 1e6 - LOOP_TICK_MS));
  const delay = { p99Ms: late(loopDelay.percentile(99)), maxMs: late(loopDelay.max) };
  loopDelay.reset();
  return { gc, loopDelay: delay };
}

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
    statements: statementTimes(),
    pauses: pauses(),
  };
  process.stdout.write(`${JSON.stringify({ meter })}\n`);
}

process.on('SIGUSR2', printMeter);
process.on('exit', printMeter);
