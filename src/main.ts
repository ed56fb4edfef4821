import type { RunningPlaudit } from './app.ts';
import { type Config, ConfigError, parseConfig } from './config.ts';
import { DataFolderInUse } from './db/data-folder-lock.ts';
import { createLogger } from './logger.ts';
import { lowerPriority } from './process-priority.ts';
import type { RunningWorker } from './worker.ts';

type Running = RunningPlaudit | RunningWorker;

/** The process being started; settles when start-up ends. */
let starting: Promise<Running> | undefined;
let stopping = false;

/**
 * SIGTERM or SIGINT: stop taking requests and jobs, let those in flight finish, close
 * Redis and the database, and exit 0 (1 if closing failed). A signal during start-up
 * waits for it to end, then stops what started. A second signal stops the process at once.
 */
const stop = async (signal: NodeJS.Signals) => {
  if (stopping) {
    console.error(`${signal} received again: stopping now`);
    process.exit(1);
  }
  stopping = true;
  console.error(`${signal} received: shutting down`);
  let running: Running | undefined;
  try {
    running = await starting;
  } catch {
    return; // Start-up failed: the main flow below says why and exits.
  }
  try {
    await running?.close();
  } catch (error) {
    console.error('Plaudit did not stop cleanly:', error);
    process.exit(1);
  }
  process.exit(0);
};
// Installed before anything starts, so a signal during start-up is handled too.
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));

async function start(config: Config): Promise<Running> {
  // Said before the modules load (a second or more), so a start is never silent; each
  // step after it (the database, each migration, listening) has a line of its own.
  const logger = createLogger(config.LOG_LEVEL);
  logger.info({ role: config.PLAUDIT_ROLE }, 'starting');
  if (config.PLAUDIT_ROLE === 'worker' && config.WORKER_NICENESS > 0) {
    // Before its set-up: a worker's start (migrations included) is background work too.
    logger.info({ niceness: lowerPriority(config.WORKER_NICENESS) }, 'worker CPU priority lowered');
  }
  // Loaded only where it serves: a worker process starts a quarter faster without the web
  // side (the API, the console, Slack, Teams), which matters when workers restart or scale out.
  return config.PLAUDIT_ROLE === 'worker'
    ? (await import('./worker.ts')).startWorker(config)
    : (await import('./app.ts')).startPlaudit(config);
}

try {
  starting = start(parseConfig(process.env));
  await starting;
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Plaudit cannot start: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  if (error instanceof DataFolderInUse) {
    console.error(`Plaudit cannot start: ${error.message}`);
    process.exit(75); // EX_TEMPFAIL: it can start once the other process stops
  }
  throw error;
}
