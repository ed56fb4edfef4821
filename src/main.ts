import { startPlaudit } from './app.ts';
import { ConfigError, parseConfig } from './config.ts';
import { startWorker } from './worker.ts';

try {
  const config = parseConfig(process.env);
  const running =
    config.PLAUDIT_ROLE === 'worker' ? await startWorker(config) : await startPlaudit(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal} received: shutting down`);
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Plaudit cannot start: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
