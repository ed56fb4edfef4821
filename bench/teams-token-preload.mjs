// Loaded first (`node --import`) by bench:teams into Plaudit's process and its baseline
// bot's: the bot's own tokens (for its calls to the Bot Connector) come from the fake's
// token endpoint, BENCH_TEAMS_TOKEN_URL, instead of from Azure AD through MSAL, which this
// machine cannot reach. It is what test/support/local-token-credentials.ts does for the
// tests, which pass it to startPlaudit; a process started as production starts it takes no
// such option, so this replaces botbuilder's factory method in place (dist/ imports
// botbuilder from node_modules, the same module as here). Incoming requests are still
// authenticated by botbuilder itself, against the fake's published keys.
// Plain JavaScript, so that the measured process runs without the tsx loader.
import botbuilder from 'botbuilder';

const tokenUrl = process.env.BENCH_TEAMS_TOKEN_URL;
if (!tokenUrl) throw new Error('BENCH_TEAMS_TOKEN_URL must be set: the token endpoint to use');

/** The bot's tokens, by app id: fetched once each, as MSAL caches them. */
const tokens = new Map();

async function accessToken(appId, password) {
  if (!tokens.has(appId)) {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: appId,
        client_secret: password,
        scope: 'https://api.botframework.com/.default',
      }),
    });
    tokens.set(appId, (await response.json()).access_token);
  }
  return tokens.get(appId);
}

const factory = botbuilder.ConfigurationServiceClientCredentialFactory.prototype;
factory.createCredentials = async function createCredentials(appId) {
  const password = this.password;
  return {
    signRequest: async (request) => {
      request.headers.set('authorization', `Bearer ${await accessToken(appId, password)}`);
      return request;
    },
  };
};
