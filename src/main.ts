import type { RunningPlaudit } from './app.ts';
import { ConfigError, parseConfig } from './config.ts';
import { type RunningWorker, startWorker } from './worker.ts';

let running: RunningPlaudit | RunningWorker | undefined;
let stopping = false;
// Installed first: a signal during start-up also stops the process cleanly. A second
// signal stops it at once.
const stop = async (signal: string) => {
  if (stopping) {
    console.error(`${signal} received again: stopping now`);
    process.exit(1);
  }
  stopping = true;
  console.error(`${signal} received: shutting down`);
  await running?.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  const config = parseConfig(process.env);
  // Loaded only where it serves: a worker process starts a quarter faster without the web
  // side (Express, Slack, Teams), which matters when workers restart or scale out.
  running =
    config.PLAUDIT_ROLE === 'worker'
      ? await startWorker(config)
      : await (await import('./app.ts')).startPlaudit(config);
  if (stopping) await running.close();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Plaudit cannot start: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
