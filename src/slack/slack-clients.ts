import * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { type Config, slackOAuth } from '../config.ts';
import type { Database } from '../db/database.ts';
import { slackFetch } from './slack-fetch.ts';
import { FixedInstallation, type InstallationSource } from './slack-installations.ts';
import { SlackOAuth } from './slack-oauth.ts';
import { connectWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

const { ExpressReceiver, LogLevel } = bolt;

/** The Web API clients' options: Slack's address, retries, and the process's log. */
export function slackClientOptions(
  config: Config,
  logger: Logger,
  /** Web API retries; tests that fake failures set 0. */
  retries = 2,
): bolt.webApi.WebClientOptions {
  return {
    slackApiUrl: config.SLACK_API_URL,
    fetch: slackFetch,
    retryConfig: { retries, factor: 2, minTimeout: 200 },
    logger: boltLogger(logger),
  };
}

/**
 * Where the workspaces' bot tokens come from, for a process that sends to Slack without
 * serving its requests (a worker): SLACK_BOT_TOKEN's workspace, or the OAuth installs
 * through Bolt's own installer (built as the web process's receiver builds it, with the
 * same store, so a rotating token is refreshed the same way; never mounted or served).
 */
export async function slackTokenSource(
  config: Config,
  db: Database,
  clientOptions: bolt.webApi.WebClientOptions,
  logger: Logger,
): Promise<InstallationSource> {
  if (config.SLACK_BOT_TOKEN) {
    return (await fixedInstallation(db, config.SLACK_BOT_TOKEN, clientOptions)).source;
  }
  if (!slackOAuth(config)) throw new Error('Slack is not configured');
  const oauth = new SlackOAuth(config, db, logger);
  const receiver = new ExpressReceiver({
    signingSecret: config.SLACK_SIGNING_SECRET as string,
    logger: boltLogger(logger),
    ...oauth.receiverOptions(),
  });
  return oauth.source(receiver.installer);
}

/** SLACK_BOT_TOKEN's workspace (`auth.test`), connected once, as one fixed installation. */
export async function fixedInstallation(
  db: Database,
  token: string,
  clientOptions: bolt.webApi.WebClientOptions,
): Promise<{ workspace: SlackWorkspace; source: FixedInstallation }> {
  const client = new bolt.webApi.WebClient(token, clientOptions);
  const auth = await client.auth.test().catch((error: { data?: { error?: string } }) => {
    throw new Error(
      `Slack refused SLACK_BOT_TOKEN (${error.data?.error ?? String(error)}); check the token.`,
    );
  });
  const workspace = await connectWorkspace(db, {
    teamId: auth.team_id as string,
    teamName: auth.team ?? '',
    enterpriseId: auth.enterprise_id ?? null,
    botUserId: auth.user_id as string,
  });
  return { workspace, source: new FixedInstallation(db, token, workspace) };
}

/** Bolt's and the Web API client's log lines, into the process's own structured log. */
export function boltLogger(logger: Logger): bolt.Logger {
  const child = logger.child({ component: 'slack' });
  let level = LogLevel.INFO;
  return {
    debug: (...messages: unknown[]) => {
      // The client logs several lines at debug for every call; only joined when kept.
      if (!child.isLevelEnabled('debug')) return;
      const text = messages.map(String).join(' ');
      // The Web API client logs whole request bodies at debug: a direct message's text
      // (a console sign-in link) is a secret, so bodies never reach the log.
      if (!/^http request body/i.test(text)) child.debug(text);
    },
    info: (...messages: unknown[]) => child.info(messages.map(String).join(' ')),
    warn: (...messages: unknown[]) => child.warn(messages.map(String).join(' ')),
    error: (...messages: unknown[]) => child.error(messages.map(String).join(' ')),
    setLevel: (next: bolt.LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
