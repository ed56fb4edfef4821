import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { pino } from 'pino';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { createHttpApp } from './http/server.ts';
import { ensureDemoOrganization } from './local/demo-organization.ts';
import { createKudosRouter } from './recognition/kudos-commands.ts';
import { createRecognitionServices } from './recognition/recognition-services.ts';
import { type SlackAdapter, startSlackAdapter } from './slack/slack-adapter.ts';

export interface RunningPlaudit {
  readonly url: string;
  readonly db: Database;
  /** The Slack adapter, when Slack is configured. */
  readonly slack: SlackAdapter | undefined;
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
  const mount: Router[] = [];
  let slack: SlackAdapter | undefined;
  if (config.SLACK_BOT_TOKEN) {
    slack = await startSlackAdapter({
      config: { ...config, SLACK_BOT_TOKEN: config.SLACK_BOT_TOKEN },
      db,
      router,
      services,
      logger,
    });
    if (slack.routes) mount.push(slack.routes);
  } else {
    // Local mode: no chat platform is configured, so the console is the way in.
    const organizationId = await ensureDemoOrganization(db);
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.HOST)) {
      logger.warn(
        { host: config.HOST },
        'local mode: the console lets anyone on this network act as any demo member',
      );
    }
    mount.push(consoleRoutes({ db, router, organizationId, logger }));
  }
  const app = createHttpApp({ db, logger, mount });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info(
    slack ? { url, slack: `${url}/slack/events` } : { url, console: `${url}/console` },
    'Plaudit is listening',
  );

  return {
    url,
    db,
    slack,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await slack?.settled();
      await slack?.stop();
      await db.destroy();
      logger.info('Plaudit stopped');
    },
  };
}
