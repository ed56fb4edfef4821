import type { StartOptions } from '../../src/app.ts';
import { QUICK_SENDS, UNHURRIED_COMMANDS } from './chat-test-settings.ts';
import type { FakeBotConnector } from './fake-bot-connector.ts';
import { LocalTokenCredentials } from './local-token-credentials.ts';

const SECRET = 'test-client-secret';

/**
 * The environment and start options of a Plaudit whose Teams bot talks to a fake Bot
 * Connector: its keys sign the requests, and its token endpoint issues the bot's tokens.
 */
export function teamsSettings(
  connector: FakeBotConnector,
  appId: string,
  tenants: { TEAMS_ALLOWED_TENANTS: string } | { TEAMS_TENANT_ID: string },
): { env: Record<string, string>; options: StartOptions } {
  return {
    env: {
      TEAMS_APP_ID: appId,
      TEAMS_APP_PASSWORD: SECRET,
      TEAMS_OPENID_METADATA_URL: connector.openIdMetadataUrl,
      ...tenants,
      ...UNHURRIED_COMMANDS,
      ...QUICK_SENDS,
    },
    options: { teamsCredentials: new LocalTokenCredentials(connector.tokenUrl, appId, SECRET) },
  };
}
