import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';

/** What a Bot Framework channel token says: who it is for and which service sent it. */
export interface ChannelTokenClaims {
  readonly appId: string;
  readonly serviceUrl: string;
  /** @defaultValue https://api.botframework.com */
  readonly issuer?: string;
  /** Seconds from now until it expires; negative for an expired token. @defaultValue 3600 */
  readonly expiresIn?: number;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * An RSA signing key in the shape the Bot Framework publishes its keys: a JWK with a key
 * id and the channels it endorses. Signs channel tokens as the Bot Connector does (RS256).
 */
export class BotFrameworkKey {
  readonly kid = randomUUID();
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(readonly endorsements: readonly string[] = ['msteams']) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
  }

  /** The key as a JWKS entry. */
  jwk(): Record<string, unknown> {
    const { n, e } = this.#publicKey.export({ format: 'jwk' });
    return { kty: 'RSA', use: 'sig', kid: this.kid, n, e, endorsements: [...this.endorsements] };
  }

  channelToken(claims: ChannelTokenClaims): string {
    return this.token(channelPayload(claims));
  }

  /** A token of any claims, signed with this key (RS256) and naming it. */
  token(payload: Record<string, unknown>): string {
    const signed = unsigned({ alg: 'RS256', typ: 'JWT', kid: this.kid }, payload);
    const signature = sign('RSA-SHA256', Buffer.from(signed), this.#privateKey);
    return `${signed}.${base64url(signature)}`;
  }

  /** The public key in PEM, as anyone may read it from the published keys. */
  publicPem(): string {
    return this.#publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

/** What a channel token of these claims holds. */
function channelPayload(claims: ChannelTokenClaims): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: claims.issuer ?? 'https://api.botframework.com',
    aud: claims.appId,
    serviceurl: claims.serviceUrl,
    nbf: now - 60,
    iat: now - 60,
    exp: now + (claims.expiresIn ?? 3600),
  };
}

/** The header and claims of a token, encoded and joined, not yet signed. */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
}

/** How a forger passes a token off as signed by a published key, whose id it names. */
export type Forgery = 'other-key' | 'alg-none' | 'hs256-with-public-key';

/**
 * A channel token with valid claims that names a key the Bot Framework publishes but is
 * not signed by it: signed by another RSA key, not signed at all (`alg: none`), or signed
 * with HMAC keyed by the published public key (algorithm confusion).
 */
export function forgedChannelToken(
  published: BotFrameworkKey,
  claims: ChannelTokenClaims,
  forgery: Forgery,
): string {
  return forgedToken(published, channelPayload(claims), forgery);
}

/** A token of any claims, forged as {@link forgedChannelToken} forges channel tokens. */
export function forgedToken(
  published: BotFrameworkKey,
  payload: Record<string, unknown>,
  forgery: Forgery,
): string {
  switch (forgery) {
    case 'other-key': {
      const other = new BotFrameworkKey().token(payload).split('.')[2];
      return `${unsigned({ alg: 'RS256', typ: 'JWT', kid: published.kid }, payload)}.${other}`;
    }
    case 'alg-none':
      return `${unsigned({ alg: 'none', typ: 'JWT', kid: published.kid }, payload)}.`;
    case 'hs256-with-public-key': {
      const signed = unsigned({ alg: 'HS256', typ: 'JWT', kid: published.kid }, payload);
      const mac = createHmac('sha256', published.publicPem()).update(signed).digest();
      return `${signed}.${base64url(mac)}`;
    }
  }
}
