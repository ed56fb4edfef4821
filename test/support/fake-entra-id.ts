import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BotFrameworkKey } from './bot-framework-keys.ts';

/** What a Teams SSO token says, as Entra ID issues it for the personal tab. */
export interface SsoTokenClaims {
  readonly tenantId: string;
  readonly aadObjectId: string;
  /** The app id or the Application ID URI the token is for. */
  readonly audience: string;
  /** @defaultValue v2: `https://login.microsoftonline.com/{tenant}/v2.0` */
  readonly version?: '1.0' | '2.0';
  /** Seconds from now until it expires; negative for an expired token. @defaultValue 3600 */
  readonly expiresIn?: number;
  /** @defaultValue access_as_user */
  readonly scope?: string;
  /** Overrides the issuer the version gives. */
  readonly issuer?: string;
}

/**
 * A local stand-in for Microsoft Entra ID's OpenID configuration and the keys it signs
 * tokens with (`openIdMetadataUrl`, as TEAMS_SSO_OPENID_METADATA_URL), recording each
 * request for them; `ssoToken` signs what `authentication.getAuthToken()` hands a tab.
 */
export class FakeEntraId {
  readonly key = new BotFrameworkKey([]);
  /** The paths asked for, in order. */
  readonly requests: string[] = [];
  #server: Server | undefined;
  url = '';

  get openIdMetadataUrl(): string {
    return `${this.url}/common/v2.0/.well-known/openid-configuration`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const path = request.url ?? '';
      this.requests.push(path);
      const body =
        path === '/common/v2.0/.well-known/openid-configuration'
          ? {
              // As Entra ID's multi-tenant configuration says it: a template of the issuer.
              issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
              jwks_uri: `${this.url}/common/discovery/v2.0/keys`,
              id_token_signing_alg_values_supported: ['RS256'],
            }
          : path === '/common/discovery/v2.0/keys'
            ? { keys: [{ ...this.key.jwk(), x5t: this.key.kid }] }
            : undefined;
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: 'not_found' }));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** The claims of an SSO token, as Entra ID writes them. */
  ssoPayload(claims: SsoTokenClaims): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const version = claims.version ?? '2.0';
    return {
      aud: claims.audience,
      iss:
        claims.issuer ??
        (version === '2.0'
          ? `https://login.microsoftonline.com/${claims.tenantId}/v2.0`
          : `https://sts.windows.net/${claims.tenantId}/`),
      iat: now - 60,
      nbf: now - 60,
      exp: now + (claims.expiresIn ?? 3600),
      name: 'Someone',
      oid: claims.aadObjectId,
      tid: claims.tenantId,
      scp: claims.scope ?? 'access_as_user',
      ver: version,
      // The Teams clients that ask for it.
      azp: '5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
    };
  }

  /** An SSO token signed by the published key. */
  ssoToken(claims: SsoTokenClaims): string {
    return this.key.token(this.ssoPayload(claims));
  }
}
