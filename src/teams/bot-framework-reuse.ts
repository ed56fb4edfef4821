import type { ConfigurationBotFrameworkAuthentication } from 'botbuilder';

/** botbuilder's authentication of a bot: the checks of inbound tokens, the outbound clients. */
type Authentication = Pick<
  ConfigurationBotFrameworkAuthentication,
  'authenticateRequest' | 'createConnectorFactory' | 'createUserTokenClient'
>;
type Authenticated = Awaited<ReturnType<Authentication['authenticateRequest']>>;
type ClaimsIdentity = Authenticated['claimsIdentity'];
type ConnectorFactory = ReturnType<Authentication['createConnectorFactory']>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;
type UserTokenClient = Awaited<ReturnType<Authentication['createUserTokenClient']>>;

export interface BotFrameworkReuseOptions {
  /** Epoch milliseconds now. */
  readonly now?: () => number;
  /**
   * How long a token, once verified, is taken again without verifying its signature anew
   * (never past its own expiry): a key the Bot Framework stops publishing is dropped
   * within this time (botbuilder itself keeps the published keys for a day).
   * @defaultValue 5 minutes
   */
  readonly verifiedForMs?: number;
  /**
   * How many verified tokens (each with the channel and service URL it was shown with)
   * are kept at most.
   * @defaultValue 1,000
   */
  readonly maxVerified?: number;
}

/** Outbound clients kept at most, by app id, service URL and audience (Teams has a few). */
const MAX_CLIENTS = 100;

/**
 * Makes botbuilder's authentication keep what it otherwise makes anew for every activity:
 *
 * - The check of an inbound Bot Framework token (an RS256 signature, an Azure key read
 *   into a public key, the claims): the Bot Connector signs a token once and sends it
 *   with every activity for its lifetime, so a token verified for a channel and service
 *   URL is taken again, for those, until it expires or `verifiedForMs` has passed. A
 *   token refused is never kept: it is checked again each time.
 * - The outbound clients (a Bot Connector client per reply, a token client per turn, each
 *   with a new HTTP pipeline and credentials): one per app id, service URL and audience,
 *   shared by every turn and proactive message. They hold no state of a turn, and their
 *   credentials fetch and renew the bot's token themselves.
 *
 * Replaces the methods on `auth` itself, the object the adapter calls.
 */
export function reuseBotFrameworkWork(
  auth: Authentication,
  options: BotFrameworkReuseOptions = {},
): void {
  const now = options.now ?? Date.now;
  const verifiedForMs = options.verifiedForMs ?? 5 * 60_000;
  const maxVerified = options.maxVerified ?? 1000;
  const authenticate = auth.authenticateRequest.bind(auth);
  const connectorFactory = auth.createConnectorFactory.bind(auth);
  const userTokenClient = auth.createUserTokenClient.bind(auth);

  const clients = new Bounded<Promise<ConnectorClient>>(MAX_CLIENTS);
  const tokenClients = new Bounded<Promise<UserTokenClient>>(MAX_CLIENTS);
  /** The factory of one app id, whose clients are kept. */
  const reusingFactory = (claims: ClaimsIdentity, made: () => ConnectorFactory) => {
    const appId = appIdOf(claims);
    return {
      create: (serviceUrl: string, audience?: string) =>
        clients.take(`${appId}\n${serviceUrl}\n${audience ?? ''}`, () =>
          made().create(serviceUrl, audience),
        ),
    } as ConnectorFactory;
  };

  const verified = new Map<string, { readonly result: Authenticated; readonly until: number }>();
  auth.authenticateRequest = async (activity, authHeader) => {
    // No header: refused, or the Emulator's anonymous requests when no app id is set.
    if (authHeader.trim() === '') return authenticate(activity, authHeader);
    const key = `${authHeader}\n${activity.channelId ?? ''}\n${activity.serviceUrl ?? ''}`;
    const kept = verified.get(key);
    if (kept && now() < kept.until) return kept.result;
    verified.delete(key);
    const fresh = await authenticate(activity, authHeader);
    const result: Authenticated = {
      ...fresh,
      connectorFactory:
        fresh.connectorFactory &&
        reusingFactory(fresh.claimsIdentity, () => fresh.connectorFactory as ConnectorFactory),
    };
    // The claim as the token has it (a number of seconds), whatever its declared type.
    const exp: unknown = fresh.claimsIdentity.getClaimValue('exp');
    if (typeof exp === 'number' && Number.isFinite(exp)) {
      const expires = exp * 1000;
      if (verified.size >= maxVerified) dropExpired(verified, now());
      if (verified.size >= maxVerified) verified.delete(verified.keys().next().value as string);
      verified.set(key, { result, until: Math.min(expires, now() + verifiedForMs) });
    }
    return result;
  };
  auth.createConnectorFactory = (claims) => reusingFactory(claims, () => connectorFactory(claims));
  auth.createUserTokenClient = (claims) =>
    tokenClients.take(appIdOf(claims), () => userTokenClient(claims));
}

/** The bot's app id in a claims identity, as botbuilder reads it (audience, else app id). */
function appIdOf(claims: ClaimsIdentity): string {
  return claims.getClaimValue('aud') ?? claims.getClaimValue('appid') ?? '';
}

function dropExpired(verified: Map<string, { readonly until: number }>, at: number): void {
  for (const [key, { until }] of verified) if (until <= at) verified.delete(key);
}

/** Promises kept by key, at most `max` of them; a rejected one is forgotten. */
class Bounded<T extends Promise<unknown>> {
  readonly #kept = new Map<string, T>();

  constructor(private readonly max: number) {}

  take(key: string, make: () => T): T {
    const kept = this.#kept.get(key);
    if (kept) return kept;
    if (this.#kept.size >= this.max) this.#kept.delete(this.#kept.keys().next().value as string);
    const made = make();
    this.#kept.set(key, made);
    made.catch(() => {
      if (this.#kept.get(key) === made) this.#kept.delete(key);
    });
    return made;
  }
}
