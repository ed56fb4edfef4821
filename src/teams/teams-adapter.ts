import { Application, type TurnState } from '@microsoft/teams-ai';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { GroupMirror } from '../admin/group-admin.ts';
import { allowedTeamsTenants, anyTeamsTenant, type Config } from '../config.ts';
import type { KudosAnnouncements } from '../core/announcements.ts';
import type { CommandAdmission } from '../core/command-admission.ts';
import type { CommandRouter } from '../core/command-router.ts';
import type { Database } from '../db/database.ts';
import type { OnFirstSight } from '../directory/first-sight.ts';
import { HomeSections } from '../recognition/home-sections.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { messagingEndpoint, PlauditTeamsAdapter } from './messaging-endpoint.ts';
import { TeamsDirectory } from './teams-directory.ts';
import { TeamsGroupMirror } from './teams-group-mirror.ts';
import { ARRIVED_AT, TeamsHandlers } from './teams-handlers.ts';
import { TeamsMessageExtension } from './teams-message-extension.ts';
import { TeamsReactions } from './teams-reactions.ts';
import { botFrameworkSettings, type TeamsCredentialsFactory, teamsSends } from './teams-sends.ts';
import { TeamsSso } from './teams-sso.ts';
import { teamsTabRoutes } from './teams-tab.ts';
import { connectTenant, TeamsTenants } from './teams-tenants.ts';

export type { TeamsCredentialsFactory } from './teams-sends.ts';

export interface TeamsAdapterOptions {
  readonly config: Config;
  readonly db: Database;
  readonly router: CommandRouter;
  readonly services: RecognitionServices;
  /** The announcements of kudos; the adapter registers Teams' side of the notifier port. */
  readonly announcements: KudosAnnouncements;
  /** Called once an activity gave kudos. */
  readonly onGiven: () => void;
  readonly logger: Logger;
  /**
   * Local mode: the demo organization, which the Emulator's tenant joins. Elsewhere each
   * tenant gets an organization of its own when it is first allowed and seen.
   */
  readonly localOrganizationId?: number;
  /**
   * Replaces botbuilder's credentials factory, which fetches tokens from Azure AD with
   * TEAMS_APP_PASSWORD. Tests point it at a local token endpoint.
   */
  readonly credentials?: TeamsCredentialsFactory;
  /** Decides whether a command is taken or shed, shared by every chat platform. */
  readonly admission: CommandAdmission;
  /** What comes with a user's first sight: the admins PLAUDIT_INITIAL_ADMINS names. */
  readonly onFirstSight?: OnFirstSight;
}

export interface TeamsBot {
  /** `POST /api/messages`, the Bot Framework messaging endpoint. */
  readonly routes: Router;
  /** Mirrors the teams the bot is in as Plaudit groups (`groups sync`). */
  readonly groupMirror: GroupMirror;
  /** The organizations of the tenants connected at start (the ones the configuration names). */
  readonly organizationIds: readonly number[];
  /** Resolves when the team mirrors running in the background have finished. */
  settled(): Promise<void>;
}

/**
 * The Teams adapter (teams-ai on botbuilder's CloudAdapter). With TEAMS_APP_ID set, every
 * request must carry a Bot Framework token signed by a key the Bot Framework publishes,
 * for this app and the activity's service URL, or it gets 401 and touches nothing.
 * Without an app id (local mode only, refused elsewhere by the config) it takes
 * unauthenticated activities, as the Bot Framework Emulator sends them.
 */
export async function startTeamsAdapter(options: TeamsAdapterOptions): Promise<TeamsBot> {
  const { config, db, logger } = options;
  const appId = config.TEAMS_APP_ID ?? '';
  // The configuration allows no app id in local mode only.
  const localMode = appId === '';
  const adapter = new PlauditTeamsAdapter(botFrameworkSettings(config), options.credentials);
  const teamsLogger = logger.child({ component: 'teams' });
  adapter.onTurnError = async (context, error) => {
    teamsLogger.error({ err: error, activity: context.activity?.id }, 'a Teams turn failed');
    if (context.activity?.type === 'message') {
      await context
        .sendActivity('Something went wrong on our side; please try again in a moment.')
        .catch(() => undefined);
    }
  };

  // The tenants named are connected now (each its own organization, unless connected
  // before), so the next start finds the same organizations again.
  const organizationIds = new Set<number>();
  for (const tenantId of allowedTeamsTenants(config)) {
    const tenant = await connectTenant(db, tenantId, options.localOrganizationId);
    organizationIds.add(tenant.organizationId);
  }
  // In Teams the celebration is the answer itself; the port sends the personal messages,
  // and the posts in the announcement channel an admin chose in Teams, from whichever
  // process takes the notifications jobs.
  const { conversations, notifier, announcements } = teamsSends({
    config,
    db,
    services: options.services,
    adapter,
    logger: teamsLogger,
    announcements: options.announcements,
  });
  const directory = new TeamsDirectory(db, teamsLogger, localMode, options.onFirstSight);
  const tenants = new TeamsTenants(
    db,
    { tenants: allowedTeamsTenants(config), any: anyTeamsTenant(config) },
    options.localOrganizationId,
  );
  const handlers = new TeamsHandlers({
    router: options.router,
    services: options.services,
    directory,
    tenants,
    conversations,
    onGiven: options.onGiven,
    notifier,
    logger: teamsLogger,
    localMode,
    admission: options.admission,
    announcements,
    reactions: new TeamsReactions({
      services: options.services,
      notifier,
      logger: teamsLogger,
      onGiven: options.onGiven,
    }),
  });
  const app = new Application<TurnState>({
    adapter,
    botAppId: appId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  handlers.register(app);
  new TeamsMessageExtension(handlers, options.services).register(app);
  const groupMirror = new TeamsGroupMirror({
    db,
    adapter,
    appId,
    directory,
    tenants,
    conversations,
    logger: teamsLogger,
  });
  groupMirror.register(app);

  const endpoint = messagingEndpoint(
    adapter,
    (context, arrivedAt) => {
      context.turnState.set(ARRIVED_AT, arrivedAt);
      return app.run(context).then(() => undefined);
    },
    teamsLogger,
  );
  const routes = express.Router().use(endpoint);
  if (!localMode) {
    // The personal tab signs in with Teams SSO, which needs the bot's Entra app: no tab in
    // local mode, where the Emulator has none.
    routes.use(
      teamsTabRoutes({
        db,
        sso: new TeamsSso({
          appId,
          publicUrl: config.PUBLIC_URL,
          metadataUrl: config.TEAMS_SSO_OPENID_METADATA_URL,
        }),
        tenants,
        sections: new HomeSections(options.services),
        commandName: '@Plaudit',
        logger: teamsLogger,
      }),
    );
  }
  return {
    routes,
    groupMirror,
    organizationIds: [...organizationIds],
    settled: () => groupMirror.settled(),
  };
}
