/**
 * The baseline of bench:teams: botbuilder's CloudAdapter with the authentication Plaudit's
 * Teams adapter configures (the app id and password, the public cloud's endpoints with the
 * channel's OpenID metadata at the fake Bot Connector; src/teams/teams-adapter.ts), whose
 * turn only answers the message; with BASELINE_DATABASE_URL it first records the message
 * (bench/recorded-commands.ts), the reference printed beside the goal's baseline. Run as its
 * own process, with the same token preload as Plaudit's (bench/teams-token-preload.mjs);
 * prints its URL.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import express from 'express';
import { recordCommand, stopRecording } from './recorded-commands.ts';

const adapter = new CloudAdapter(
  new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: process.env.TEAMS_APP_ID,
    MicrosoftAppPassword: process.env.TEAMS_APP_PASSWORD,
    MicrosoftAppType: 'MultiTenant',
    // As PUBLIC_CLOUD in src/teams/teams-adapter.ts, with the fake's metadata.
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    ToBotFromChannelOpenIdMetadataUrl: process.env.TEAMS_OPENID_METADATA_URL,
    ToBotFromEmulatorOpenIdMetadataUrl:
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  }),
);
const server = express()
  .post('/api/messages', express.json({ limit: '256kb' }), async (req, res) => {
    await adapter.process(req, res, async (context) => {
      if (context.activity.type !== 'message') return;
      const { activity } = context;
      await recordCommand(
        activity.conversation.tenantId ?? '',
        activity.from.id,
        activity.text ?? '',
      );
      await context.sendActivity('ok');
    });
  })
  .listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
  });
process.on('SIGTERM', () =>
  server.close(() => {
    void stopRecording().finally(() => process.exit(0));
  }),
);
