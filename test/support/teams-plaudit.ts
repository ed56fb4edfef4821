import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import type { FakeBotConnector, FakeTeamsUser } from './fake-bot-connector.ts';
import { type NotificationTaker, takeNotificationsBeside } from './notification-taker.ts';
import type { TeamsScene } from './teams-activities.ts';
import { teamsSettings } from './teams-settings.ts';

/**
 * A Plaudit on the test database whose Teams bot (app `appId`) talks to the fake Bot
 * Connector, serving the tenants given; `env` adds to its environment (Slack's, say).
 */
export function startTeamsPlaudit(
  connector: FakeBotConnector,
  appId: string,
  tenants: { TEAMS_ALLOWED_TENANTS: string } | { TEAMS_TENANT_ID: string },
  env: Record<string, string> = {},
): Promise<RunningPlaudit> {
  const teamsBot = teamsSettings(connector, appId, tenants);
  return startPlaudit(
    parseConfig({
      ...teamsBot.env,
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: inject('databaseUrl'),
      ...env,
    }),
    teamsBot.options,
  );
}

/**
 * The notifications side of a worker beside {@link startTeamsPlaudit}'s web process, with
 * the same settings: its proactive messages go to the fake connector, with its tokens.
 */
export function takeTeamsNotificationsBeside(
  connector: FakeBotConnector,
  appId: string,
  tenants: { TEAMS_ALLOWED_TENANTS: string } | { TEAMS_TENANT_ID: string },
  env: Record<string, string> = {},
): Promise<NotificationTaker> {
  const teamsBot = teamsSettings(connector, appId, tenants);
  return takeNotificationsBeside(
    { ...teamsBot.env, LOG_LEVEL: 'silent', DATABASE_URL: inject('databaseUrl'), ...env },
    teamsBot.options.teamsCredentials,
  );
}

/** A tenant's conversations with the bot of app `appId`, through the (started) fake connector. */
export function teamsScene(
  connector: FakeBotConnector,
  appId: string,
  tenantId: string,
): TeamsScene {
  return {
    serviceUrl: connector.serviceUrl,
    tenantId,
    bot: { id: `28:${appId}`, name: 'Plaudit' },
  };
}

/** A channel token for the bot of app `appId`, as the fake connector signs its requests. */
export function connectorToken(connector: FakeBotConnector, appId: string): string {
  return connector.key.channelToken({ appId, serviceUrl: connector.serviceUrl });
}

/**
 * Adds people of the tenant to the fake connector, each by name: new ids, and an email of
 * their first name's at a domain of the tenant's; `extra` changes any of that.
 */
export function tenantPeople(connector: FakeBotConnector, tenantId: string) {
  return (name: string, extra: Partial<FakeTeamsUser> = {}): FakeTeamsUser =>
    connector.addUser({
      id: `29:${randomUUID()}`,
      aadObjectId: randomUUID(),
      name,
      email: `${name.split(' ')[0]?.toLowerCase()}.${tenantId.slice(0, 8)}@contoso.example`,
      ...extra,
    });
}
