import type { Router } from 'express';
import type { DestinationStream } from 'pino';
import { registerAdminCommands } from './admin/admin-commands.ts';
import type { AdminServices } from './admin/admin-services.ts';
import { ADMIN_VERBS } from './admin/admin-verbs.ts';
import type { GroupMirror } from './admin/group-admin.ts';
import { InitialAdmins } from './admin/initial-admins.ts';
import {
  anyTeamsTenant,
  type Config,
  LOOPBACK_HOSTS,
  localMode,
  slackOAuth,
  slackOn,
} from './config.ts';
import { consoleSigningKey } from './console/console-key.ts';
import { consoleRouter } from './console/console-router.ts';
import { Signer } from './console/console-signer.ts';
import { consoleVerb } from './console/console-verb.ts';
import { KudosAnnouncements } from './core/announcements.ts';
import { CommandAdmission } from './core/command-admission.ts';
import { RecipientNotifications } from './core/notifier.ts';
import { openMigratedDatabase } from './db/configured-database.ts';
import type { Database } from './db/database.ts';
import { apiRouter } from './http/api/api-router.ts';
import { seedDeploymentToken } from './http/api/deployment-token.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { FailedAuthentications } from './http/failed-authentications.ts';
import { closeHttpServer, listenHttp } from './http/listen.ts';
import { PlauditMetrics } from './http/metrics.ts';
import { queueDashboard } from './http/queue-dashboard.ts';
import { openRateLimits } from './http/rate-limit.ts';
import { createHttpApp } from './http/server.ts';
import { statementDownload } from './http/statement-download.ts';
import { InlineJobs } from './jobs/inline-jobs.ts';
import type { Jobs } from './jobs/job-queue.ts';
import { keepJobSchedules, takeJobs } from './jobs/job-taking.ts';
import { openJobs } from './jobs/workers.ts';
import { ensureDemoOrganization } from './local/demo-organization.ts';
import { createLogger } from './logger.ts';
import { workNotifications } from './notifications/notification-senders.ts';
import { OutboxRelay } from './notifications/outbox-relay.ts';
import { organizationsServedAtStart } from './notifications/served-organizations.ts';
import { createKudosRouter } from './recognition/kudos-commands.ts';
import { createRecognitionServices } from './recognition/recognition-services.ts';
import { registerRewardCommands } from './rewards/reward-commands.ts';
import { RewardDesk } from './rewards/reward-desk.ts';
import { WebhookAllowList } from './rewards/webhook-addresses.ts';
import { type SlackAdapter, startSlackAdapter } from './slack/slack-adapter.ts';
import type { TeamsBot, TeamsCredentialsFactory } from './teams/teams-adapter.ts';
import { TeamsAfterListening } from './teams/teams-after-listening.ts';

export interface RunningPlaudit {
  readonly url: string;
  readonly db: Database;
  /** The Slack adapter, when Slack is configured. */
  readonly slack: SlackAdapter | undefined;
  /** The job queues (BullMQ, or inline in local mode). */
  readonly jobs: Jobs;
  /** Resolves when the notifications of every answered command have been sent. */
  settled(): Promise<void>;
  /** Stops taking requests, lets the ones in flight finish, then closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * How the Teams bot obtains tokens for its replies; botbuilder's own (Azure AD, with
   * TEAMS_APP_PASSWORD) unless given. Tests point it at a local token endpoint.
   */
  readonly teamsCredentials?: TeamsCredentialsFactory;
  /** Where the logs go; standard output unless given. Tests read them from here. */
  readonly logDestination?: DestinationStream;
  /** Where local mode prints its API token; standard output unless given. */
  readonly print?: (line: string) => void;
}

/** The composition root: opens the database, migrates it, and serves HTTP. */
export async function startPlaudit(
  config: Config,
  options: StartOptions = {},
): Promise<RunningPlaudit> {
  const logger = createLogger(config.LOG_LEVEL, options.logDestination);
  const { db, applied } = await openMigratedDatabase(config, logger);
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
  const announcements = new KudosAnnouncements(new RecipientNotifications());
  // One admission for every chat platform: they share the process's database and loop.
  const admission = new CommandAdmission({
    inFlight: config.CHAT_COMMANDS_IN_FLIGHT,
    maxWaitMs: config.CHAT_COMMAND_MAX_WAIT_MS,
  });
  const jobs = await openJobs(config, logger);
  const metrics = new PlauditMetrics(jobs, logger, db);
  router.observe(metrics.commandAnswered);
  metrics.observeAdmission(admission);
  const webhookAllowList = WebhookAllowList.of(config.REWARD_WEBHOOK_ALLOWED_HOSTS);
  const desk = new RewardDesk(db, services.ledger, jobs, logger, { webhookAllowList });
  registerRewardCommands(router, desk);
  // Each chat adapter adds its mirror of Slack user groups or Teams teams as it starts.
  const groupMirrors: GroupMirror[] = [];
  const admin: AdminServices = {
    groupMirrors,
    db,
    ledger: services.ledger,
    settings: services.settings,
    jobs,
    desk,
    logger,
  };
  // Sign-in links name the address people open: PUBLIC_URL, or the listening address when
  // that is this machine's own (anything else, such as 0.0.0.0 in a container, is no
  // address a person can open, so no link is sent until PUBLIC_URL is set).
  let consoleUrl = config.PUBLIC_URL;
  registerAdminCommands(router, admin, [...ADMIN_VERBS, consoleVerb(() => consoleUrl)]);
  // Each give leaves an outbox row; the relay hands it to the notifications queue, for
  // every organization a command of this process gave kudos in.
  const relay = new OutboxRelay(db, jobs, announcements, logger);
  router.observe(relay.commandAnswered);
  // What waited in the outbox while Redis was away goes once it is back, not at the next round.
  jobs.whenBack(() => relay.kick());
  const onGiven = () => relay.kick();
  const mount: Router[] = [];
  const local = localMode(config);
  // Each Slack workspace and Teams tenant is an organization of its own, until an admin
  // links it to another (`admin link`). These are the ones the configuration names.
  const organizationIds = new Set<number>();
  let organizationId: number | undefined;
  // Nobody becomes admin by using Plaudit: the installer, PLAUDIT_INITIAL_ADMINS or an
  // operator (npm run admin:grant) names them.
  const initialAdmins = new InitialAdmins(config.PLAUDIT_INITIAL_ADMINS);
  const onFirstSight = initialAdmins.onFirstSight;
  let slack: SlackAdapter | undefined;
  if (slackOn(config)) {
    slack = await startSlackAdapter({
      config,
      db,
      router,
      services,
      logger,
      announcements,
      onGiven,
      admission,
      onFirstSight,
    });
    if (slack.workspace) organizationIds.add(slack.workspace.organizationId);
    groupMirrors.push(slack.groupMirror);
    if (slack.routes) mount.push(slack.routes);
  }
  if (local) {
    organizationId = await ensureDemoOrganization(db);
    organizationIds.add(organizationId);
    if (!LOOPBACK_HOSTS.includes(config.HOST)) {
      logger.warn(
        { host: config.HOST },
        'local mode: the console and /api/messages let anyone on this network act as any demo member',
      );
    }
    mount.push(consoleRoutes({ db, router, organizationId, logger }));
  }
  // botbuilder and teams-ai are large: loaded only where Teams is served.
  const teamsCode = () => import('./teams/teams-adapter.ts');
  const startTeams = ({ startTeamsAdapter }: Awaited<ReturnType<typeof teamsCode>>) =>
    startTeamsAdapter({
      config,
      db,
      router,
      services,
      announcements,
      onGiven,
      logger,
      localOrganizationId: organizationId,
      credentials: options.teamsCredentials,
      admission,
      onFirstSight,
    });
  let teams: TeamsBot | undefined;
  // Local mode's Teams (the Emulator's) starts once the process listens, see
  // teams-after-listening.ts; a Teams app's is part of the start.
  const teamsLater = local ? new TeamsAfterListening(logger) : undefined;
  if (config.TEAMS_APP_ID) {
    teams = await startTeams(await teamsCode());
    mount.push(teams.routes);
    groupMirrors.push(teams.groupMirror);
    for (const id of teams.organizationIds) organizationIds.add(id);
  } else if (teamsLater) {
    mount.push(teamsLater.routes);
    groupMirrors.push(teamsLater.groupMirror);
    // Its sends are registered when it is ready: the relay's rounds wait for it.
    relay.holdUntil(teamsLater.loaded);
  }
  const teamsOn = teams !== undefined || teamsLater !== undefined;
  const named = await initialAdmins.grantPresent(db);
  if (named > 0) logger.info({ admins: named }, 'PLAUDIT_INITIAL_ADMINS made members admins');
  const takesJobs = config.PLAUDIT_ROLE === 'all';
  if (takesJobs) takeJobs({ config, db, services, jobs, desk, webhookAllowList, logger });
  // The sends that follow a command (celebrations, personal messages) are the workers':
  // a web process only answers. Local mode's single process takes them too.
  if (takesJobs) workNotifications({ db, jobs, announcements, logger });
  relay.start(
    await organizationsServedAtStart(db, {
      organizations: [...organizationIds],
      slackInstallations: slackOAuth(config),
      anyTeamsTenant: teamsOn && anyTeamsTenant(config),
    }),
  );
  const stopScheduling = new AbortController();
  // In local mode after Teams is ready: a job a schedule runs (a redemption's news) may
  // send to Teams.
  let scheduling: Promise<void> = Promise.resolve();
  const keepSchedules = () => {
    if (stopScheduling.signal.aborted) return;
    scheduling = keepJobSchedules({ config, db, jobs, logger, takesJobs }, stopScheduling.signal);
  };
  if (!teamsLater) keepSchedules();
  // Counted in Redis across web processes, or in memory (also while Redis is away).
  const rateLimits = openRateLimits(
    { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX },
    logger,
  );
  const failures = FailedAuthentications.within(rateLimits, config.API_AUTH_FAILURE_LIMIT);
  mount.push(await queueDashboard(jobs, config.PLAUDIT_ADMIN_TOKEN, failures));
  mount.push(metrics.routes(config, failures));
  mount.push(statementDownload(db, config.PLAUDIT_ADMIN_TOKEN, failures));
  await seedDeploymentToken({
    db,
    adminToken: config.PLAUDIT_ADMIN_TOKEN,
    localOrganizationId: local ? organizationId : undefined,
    logger,
    print: options.print ?? ((line) => process.stdout.write(line)),
  });
  mount.push(
    apiRouter({
      services: admin,
      rateLimiter: rateLimits.limiter('api-rate', config.API_RATE_LIMIT),
      failedAuthentications: failures,
      logger,
    }),
  );
  mount.push(
    consoleRouter({
      services: admin,
      local,
      logger,
      signer: new Signer(await consoleSigningKey(db, config.CONSOLE_SECRET)),
      secureCookies: config.PUBLIC_URL?.startsWith('https:') ?? false,
      origin: config.PUBLIC_URL && new URL(config.PUBLIC_URL).origin,
      localOrganizationId: local ? organizationId : undefined,
      chat: { slackCommand: slack ? config.SLACK_COMMAND : undefined, teams: teamsOn },
    }),
  );
  const app = createHttpApp({
    db,
    logger,
    pingRedis: () => jobs.ping(),
    mount,
    observeRequests: metrics.middleware,
    trustProxy: config.TRUST_PROXY,
  });
  const { server, url } = await listenHttp(app, config.PORT, config.HOST);
  void teamsLater?.load(teamsCode, startTeams).then((bot) => {
    // Closing (which stops the schedules first): nothing more to start.
    if (stopScheduling.signal.aborted) return;
    if (bot) relay.serve(bot.organizationIds);
    relay.kick();
    keepSchedules();
  });
  if (!consoleUrl && LOOPBACK_HOSTS.includes(config.HOST)) consoleUrl = url;
  logger.info(
    {
      url,
      ...(slack?.routes ? { slack: `${url}/slack/events` } : {}),
      ...(teamsOn ? { teams: `${url}/api/messages` } : {}),
      ...(local ? { console: `${url}/console` } : {}),
      api: `${url}/api/v1/openapi.json`,
    },
    'Plaudit is listening',
  );

  return {
    url,
    db,
    slack,
    jobs,
    async settled() {
      await slack?.settled();
      await teams?.settled();
      await teamsLater?.settled();
      await relay.settled();
      if (jobs instanceof InlineJobs) await jobs.settled();
    },
    async close() {
      // First: a schedule kept from now on would outlive the close.
      stopScheduling.abort();
      await closeHttpServer(server);
      await slack?.settled();
      await teams?.settled();
      // Its start's database work ends before the database closes; its code still loading
      // is not waited for.
      await teamsLater?.stop();
      await relay.stop();
      await scheduling;
      await jobs.close();
      await rateLimits.close();
      await slack?.stop();
      await db.destroy();
      logger.info('Plaudit stopped');
    },
  };
}
