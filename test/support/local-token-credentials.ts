import { ConfigurationServiceClientCredentialFactory } from 'botbuilder';

/**
 * botbuilder's credentials factory with one change: the bot's tokens come from a local
 * stand-in for Azure AD (client-credentials grant, as Azure AD takes it) instead of MSAL
 * and login.microsoftonline.com, which this machine cannot reach. Which app ids are
 * valid, and everything about incoming requests, is botbuilder's own.
 */
export class LocalTokenCredentials extends ConfigurationServiceClientCredentialFactory {
  #token: string | undefined;
  readonly #tokenUrl: string;
  readonly #clientId: string;
  readonly #clientSecret: string;

  constructor(tokenUrl: string, appId: string, password: string) {
    super({
      MicrosoftAppId: appId,
      MicrosoftAppPassword: password,
      MicrosoftAppType: 'MultiTenant',
    });
    this.#tokenUrl = tokenUrl;
    this.#clientId = appId;
    this.#clientSecret = password;
  }

  override async createCredentials() {
    return {
      signRequest: async <T extends { headers: { set(name: string, value: string): void } }>(
        request: T,
      ): Promise<T> => {
        request.headers.set('authorization', `Bearer ${await this.#accessToken()}`);
        return request;
      },
    };
  }

  async #accessToken(): Promise<string> {
    if (!this.#token) {
      const response = await fetch(this.#tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.#clientId,
          client_secret: this.#clientSecret,
          scope: 'https://api.botframework.com/.default',
        }),
      });
      this.#token = ((await response.json()) as { access_token: string }).access_token;
    }
    return this.#token;
  }
}
