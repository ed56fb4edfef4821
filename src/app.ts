import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { createHttpApp } from './http/server.ts';
import { ensureDemoOrganization } from './local/demo-organization.ts';
import { createKudosRouter } from './recognition/kudos-commands.ts';
import { createRecognitionServices } from './recognition/recognition-services.ts';

export interface RunningPlaudit {
  readonly url: string;
  readonly db: Database;
  /** Stops taking requests, lets the ones in flight finish, then closes the database. */
  close(): Promise<void>;
}

/** The composition root: opens the database, migrates it, and serves HTTP. */
export async function startPlaudit(config: Config): Promise<RunningPlaudit> {
  const logger = pino({ level: config.LOG_LEVEL, redact: ['*.password', '*.token', '*.secret'] });
  const db = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }
      : { dataDir: config.PLAUDIT_DATA_DIR },
  );
  const applied = await migrateToLatest(db);
  logger.info(
    {
      database: config.DATABASE_URL ? 'postgres' : 'pglite',
      dataDir: config.DATABASE_URL ? undefined : config.PLAUDIT_DATA_DIR,
      migrationsApplied: applied,
    },
    'database ready',
  );

  const services = createRecognitionServices(db);
  const router = createKudosRouter(services);
  // Slack and Teams credentials arrive with their adapters; until then every start is local.
  const organizationId = await ensureDemoOrganization(db);
  if (config.HOST !== '127.0.0.1' && config.HOST !== 'localhost' && config.HOST !== '::1') {
    logger.warn(
      { host: config.HOST },
      'local mode: the console lets anyone on this network act as any demo member',
    );
  }
  const app = createHttpApp({
    db,
    logger,
    mount: [consoleRoutes({ db, router, organizationId, logger })],
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, console: `${url}/console` }, 'Plaudit is listening (local mode)');

  return {
    url,
    db,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.destroy();
      logger.info('Plaudit stopped');
    },
  };
}
