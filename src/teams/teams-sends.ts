import type { TeamsAdapter } from '@microsoft/teams-ai';
import type { CloudAdapter, ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { KudosAnnouncements } from '../core/announcements.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { reuseBotFrameworkWork } from './bot-framework-reuse.ts';
import { TeamsAnnouncements } from './teams-announcements.ts';
import { TeamsConversations } from './teams-conversations.ts';
import { type ProactiveAdapter, TeamsNotifier } from './teams-notifier.ts';

/**
 * The public cloud's Bot Framework endpoints. botbuilder uses them by default, but once one
 * of them is set it takes every one from the configuration, so all are given together.
 */
const PUBLIC_CLOUD = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromChannelOpenIdMetadataUrl:
    'https://login.botframework.com/v1/.well-known/openidconfiguration',
  ToBotFromEmulatorOpenIdMetadataUrl:
    'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: 'urn:botframework:azure',
  ValidateAuthority: true,
};

/** How the bot obtains tokens for its calls to the Bot Connector (botbuilder's factory type). */
export type TeamsCredentialsFactory = NonNullable<ConstructorParameters<typeof TeamsAdapter>[1]>;

/**
 * The Bot Framework settings of the app's credentials (TEAMS_APP_ID and its password), or
 * none in local mode (no app id, as the Emulator talks), for the adapters of every process.
 */
export function botFrameworkSettings(
  config: Config,
): ConfigurationBotFrameworkAuthenticationOptions {
  const appId = config.TEAMS_APP_ID ?? '';
  if (!appId) return {};
  return {
    MicrosoftAppId: appId,
    MicrosoftAppPassword: config.TEAMS_APP_PASSWORD,
    MicrosoftAppType: config.TEAMS_APP_TYPE,
    MicrosoftAppTenantId: config.TEAMS_TENANT_ID,
    ...(config.TEAMS_OPENID_METADATA_URL === PUBLIC_CLOUD.ToBotFromChannelOpenIdMetadataUrl
      ? {}
      : { ...PUBLIC_CLOUD, ToBotFromChannelOpenIdMetadataUrl: config.TEAMS_OPENID_METADATA_URL }),
  };
}

/**
 * The adapter of a process that only sends to Teams (a worker): botbuilder's CloudAdapter
 * with the app's credentials, its Connector clients reused, for proactive messages. Not
 * teams-ai's adapter, which serves activities: with teams-ai (its planners, tokenizers and
 * dialogs) loaded for nothing a send uses, a worker took 1.7 to 1.8 s from its start to
 * taking jobs on this 2-core machine, and 1.0 to 1.1 s without. botbuilder itself is
 * loaded on the first send, not at start (a third of a worker's start on its own, and
 * a worker in local mode may never send to Teams: the Emulator is its only Teams).
 */
export function proactiveTeamsAdapter(
  config: Config,
  credentials: TeamsCredentialsFactory | undefined,
): ProactiveAdapter {
  let loading: Promise<CloudAdapter> | undefined;
  const adapter = () => {
    loading ??= import('botbuilder').then(
      ({ CloudAdapter, ConfigurationBotFrameworkAuthentication }) => {
        const authentication = new ConfigurationBotFrameworkAuthentication(
          botFrameworkSettings(config),
          credentials,
        );
        reuseBotFrameworkWork(authentication);
        return new CloudAdapter(authentication);
      },
    );
    return loading;
  };
  /** The adapter's method, called once it is built. */
  const later = <Method extends keyof ProactiveAdapter>(method: Method) =>
    (async (...args: unknown[]) => {
      const cloud = await adapter();
      return Reflect.apply(cloud[method], cloud, args);
    }) as CloudAdapter[Method];
  return {
    continueConversationAsync: later('continueConversationAsync'),
    createConversationAsync: later('createConversationAsync'),
  };
}

export interface TeamsSends {
  readonly conversations: TeamsConversations;
  readonly notifier: TeamsNotifier;
  readonly announcements: TeamsAnnouncements;
}

/**
 * What a process sends to Teams through `adapter`'s proactive messages: personal messages
 * (Teams' side of the notifier port) and the posts in an organization's announcement
 * channel, registered with `announcements` for the notifications jobs. In Teams the
 * celebration is the answer itself, sent by the web process that answers.
 */
export function teamsSends(options: {
  readonly config: Config;
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly adapter: ProactiveAdapter;
  readonly logger: Logger;
  readonly announcements: KudosAnnouncements;
}): TeamsSends {
  const { db, adapter, logger } = options;
  const appId = options.config.TEAMS_APP_ID ?? '';
  const conversations = new TeamsConversations(db);
  const notifier = new TeamsNotifier(
    adapter,
    appId,
    db,
    conversations,
    logger,
    options.config.TEAMS_SEND_TURN_MS,
  );
  options.announcements.recipients.register(notifier);
  const announcements = new TeamsAnnouncements({
    db,
    settings: options.services.settings,
    adapter,
    appId,
    notifier,
    logger,
  });
  options.announcements.announceOn('teams', announcements.announce);
  return { conversations, notifier, announcements };
}

/**
 * Teams for a worker process's notifications jobs: the Bot Framework adapter with the
 * app's credentials, for proactive messages only (see {@link teamsSends}). No messaging
 * endpoint: the web processes serve Teams' activities.
 */
export function startTeamsSends(options: {
  readonly config: Config;
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly logger: Logger;
  readonly announcements: KudosAnnouncements;
  readonly credentials?: TeamsCredentialsFactory;
}): TeamsSends {
  const adapter = proactiveTeamsAdapter(options.config, options.credentials);
  return teamsSends({ ...options, adapter, logger: options.logger.child({ component: 'teams' }) });
}
