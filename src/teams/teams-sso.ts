import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod/v4';

/** Where Plaudit serves the Teams personal tab (manifests/teams/manifest.json's `staticTabs`). */
export const TEAMS_TAB_PATH = '/teams/tab';

/**
 * The Application ID URI the bot's Entra app exposes for Teams single sign-on, as the
 * manifest's `webApplicationInfo.resource` names it: `api://{PUBLIC_URL's host}/botid-{app id}`.
 * Entra ID issues the tab's tokens for it (v1 tokens name it as their audience).
 */
export function teamsSsoResource(publicUrl: string, appId: string): string {
  return `api://${new URL(publicUrl).hostname}/botid-${appId}`;
}

/** The scope the Entra app exposes, which Teams asks for on the tab's behalf. */
const SCOPE = 'access_as_user';

/** Tokens are checked with this much leeway for clocks that disagree, as botbuilder allows. */
const CLOCK_TOLERANCE_S = 300;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The OpenID configuration's fields Plaudit reads: the issuer template and the keys' address. */
const openIdConfiguration = z.looseObject({
  issuer: z.string().min(1),
  jwks_uri: z.url({ protocol: /^https?$/ }),
});

/** The claims of a Teams SSO token that say who the person is. */
const ssoClaims = z.looseObject({
  tid: z.string().regex(GUID),
  oid: z.string().regex(GUID),
  iss: z.string(),
  scp: z.string(),
  name: z.string().optional(),
});

/** Who a valid token says the person is. */
export interface TeamsUser {
  /** Their Microsoft 365 tenant. */
  readonly tenantId: string;
  /** Their Entra ID (Azure AD) object id, as the bot knows them too. */
  readonly aadObjectId: string;
}

export type SsoCheck =
  | { readonly ok: true; readonly user: TeamsUser }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks the tokens the Teams personal tab gets from `authentication.getAuthToken()` (Teams
 * SSO): signed (RS256) by a key Entra ID publishes, for this app (its id or its Application
 * ID URI), issued by the tenant it names (v2 or v1 issuer), in time, and carrying the
 * `access_as_user` scope. The browser is never trusted with who the person is: only the
 * token's tenant and object id are.
 */
export class TeamsSso {
  #keys: Promise<{ jwks: JWTVerifyGetKey; issuer: string }> | undefined;
  readonly #audiences: string[];

  constructor(
    private readonly options: {
      readonly appId: string;
      /** PUBLIC_URL: the host of the Application ID URI. */
      readonly publicUrl: string | undefined;
      /** Entra ID's OpenID configuration (TEAMS_SSO_OPENID_METADATA_URL). */
      readonly metadataUrl: string;
    },
  ) {
    this.#audiences = [
      options.appId,
      ...(options.publicUrl ? [teamsSsoResource(options.publicUrl, options.appId)] : []),
    ];
  }

  /**
   * Who `token` says the person is, or why it is refused. Throws only when the keys cannot
   * be read (a fault here, not the request's).
   */
  async check(token: string): Promise<SsoCheck> {
    const { jwks, issuer } = await this.#published();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        audience: this.#audiences,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      }));
    } catch (error) {
      if (refusedToken(error)) return { ok: false, reason: (error as Error).message };
      throw error;
    }
    const claims = ssoClaims.safeParse(payload);
    if (!claims.success) return { ok: false, reason: 'the token names no tenant, user or scope' };
    const { tid, oid, iss, scp } = claims.data;
    const issuers = [issuer.replace('{tenantid}', tid), `https://sts.windows.net/${tid}/`];
    if (!issuers.includes(iss)) return { ok: false, reason: `issuer ${iss} is not tenant ${tid}` };
    if (!scp.split(' ').includes(SCOPE)) return { ok: false, reason: `no ${SCOPE} scope` };
    return { ok: true, user: { tenantId: tid.toLowerCase(), aadObjectId: oid.toLowerCase() } };
  }

  /** Entra ID's issuer template and keys, read once (jose refreshes the keys for a new kid). */
  #published(): Promise<{ jwks: JWTVerifyGetKey; issuer: string }> {
    this.#keys ??= (async () => {
      const response = await fetch(this.options.metadataUrl, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        throw new Error(`Entra ID's OpenID configuration answered ${response.status}`);
      }
      const configuration = openIdConfiguration.parse(await response.json());
      return {
        jwks: createRemoteJWKSet(new URL(configuration.jwks_uri), { timeoutDuration: 10_000 }),
        issuer: configuration.issuer,
      };
    })();
    // A failed read is tried again by the next request rather than kept.
    this.#keys.catch(() => {
      this.#keys = undefined;
    });
    return this.#keys;
  }
}

/** Whether jose refused the token itself (401), not failed to read the keys (a fault here). */
function refusedToken(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return false;
  return !(error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid);
}
