import type { Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { reuseBotFrameworkWork } from '../../src/teams/bot-framework-reuse.ts';

const APP = 'app-1';
/** The token's expiry, in epoch seconds. */
const EXP = 10_000;

function claims(values: Record<string, unknown>) {
  return { claims: [], getClaimValue: (type: string) => (values[type] as string) ?? null };
}

/** A botbuilder authentication that counts its work: tokens verified, clients made. */
function countingAuthentication({ exp = EXP as number | null } = {}) {
  const counts = { verified: 0, refused: 0, clients: 0, tokenClients: 0 };
  const factory = {
    create: async (serviceUrl: string, audience?: string) => {
      counts.clients += 1;
      return { serviceUrl, audience, made: counts.clients };
    },
  };
  const auth = {
    async authenticateRequest(_activity: Partial<Activity>, authHeader: string) {
      if (authHeader !== 'Bearer good' && authHeader !== 'Bearer other') {
        counts.refused += 1;
        throw Object.assign(new Error('invalid signature'), { name: 'JsonWebTokenError' });
      }
      counts.verified += 1;
      return {
        audience: 'https://api.botframework.com',
        callerId: 'urn:botframework:azure',
        claimsIdentity: claims({ aud: APP, exp }),
        connectorFactory: factory,
      };
    },
    createConnectorFactory: (_claims: unknown) => factory,
    async createUserTokenClient(_claims: unknown) {
      counts.tokenClients += 1;
      return { made: counts.tokenClients };
    },
  };
  return { auth, counts };
}

const activity = (serviceUrl = 'https://smba.example/teams/', channelId = 'msteams') =>
  ({ type: 'message', channelId, serviceUrl }) as Activity;

// biome-ignore lint/suspicious/noExplicitAny: the fake stands in for botbuilder's class
type Auth = any;

describe('reuseBotFrameworkWork', () => {
  it('verifies a token once for its channel and service URL, until it expires', async () => {
    let now = 1_000_000;
    const { auth, counts } = countingAuthentication();
    reuseBotFrameworkWork(auth as Auth, { now: () => now, verifiedForMs: 60 * 60_000 });
    await auth.authenticateRequest(activity(), 'Bearer good');
    await auth.authenticateRequest(activity(), 'Bearer good');
    expect(counts.verified).toBe(1);
    // Another service URL, channel or token is checked on its own.
    await auth.authenticateRequest(activity('https://smba.example/other/'), 'Bearer good');
    await auth.authenticateRequest(activity(undefined, 'webchat'), 'Bearer good');
    await auth.authenticateRequest(activity(), 'Bearer other');
    expect(counts.verified).toBe(4);
    // At its expiry the token is verified again (and botbuilder decides).
    now = EXP * 1000;
    await auth.authenticateRequest(activity(), 'Bearer good');
    expect(counts.verified).toBe(5);
  });

  it('verifies a kept token anew once verifiedForMs has passed', async () => {
    let now = 1_000_000;
    const { auth, counts } = countingAuthentication();
    reuseBotFrameworkWork(auth as Auth, { now: () => now, verifiedForMs: 1000 });
    await auth.authenticateRequest(activity(), 'Bearer good');
    now += 999;
    await auth.authenticateRequest(activity(), 'Bearer good');
    expect(counts.verified).toBe(1);
    now += 1;
    await auth.authenticateRequest(activity(), 'Bearer good');
    expect(counts.verified).toBe(2);
  });

  it('keeps no refused token, and no token without an expiry', async () => {
    const { auth, counts } = countingAuthentication();
    reuseBotFrameworkWork(auth as Auth, { now: () => 1_000_000 });
    for (let time = 0; time < 2; time++) {
      await expect(auth.authenticateRequest(activity(), 'Bearer forged')).rejects.toThrow(
        'invalid signature',
      );
    }
    expect(counts.refused).toBe(2);
    const unexpiring = countingAuthentication({ exp: null });
    reuseBotFrameworkWork(unexpiring.auth as Auth, { now: () => 1_000_000 });
    await unexpiring.auth.authenticateRequest(activity(), 'Bearer good');
    await unexpiring.auth.authenticateRequest(activity(), 'Bearer good');
    expect(unexpiring.counts.verified).toBe(2);
  });

  it('keeps at most maxVerified tokens', async () => {
    const { auth, counts } = countingAuthentication();
    reuseBotFrameworkWork(auth as Auth, { now: () => 1_000_000, maxVerified: 1 });
    await auth.authenticateRequest(activity('https://a.example/'), 'Bearer good');
    await auth.authenticateRequest(activity('https://b.example/'), 'Bearer good');
    await auth.authenticateRequest(activity('https://a.example/'), 'Bearer good');
    expect(counts.verified).toBe(3);
  });

  it('makes one outbound client per service URL and audience, for replies and proactive sends', async () => {
    const { auth, counts } = countingAuthentication();
    reuseBotFrameworkWork(auth as Auth, { now: () => 1_000_000 });
    const first = await auth.authenticateRequest(activity(), 'Bearer good');
    const second = await auth.authenticateRequest(activity(), 'Bearer other');
    const url = 'https://smba.example/teams/';
    const client = await first.connectorFactory.create(url, 'aud');
    expect(await second.connectorFactory.create(url, 'aud')).toBe(client);
    const proactive = auth.createConnectorFactory(claims({ aud: APP }) as Auth);
    expect(await proactive.create(url, 'aud')).toBe(client);
    expect(await proactive.create('https://smba.example/other/', 'aud')).not.toBe(client);
    expect(await proactive.create(url, 'another')).not.toBe(client);
    expect(counts.clients).toBe(3);
    const tokens = await auth.createUserTokenClient(claims({ aud: APP }) as Auth);
    expect(await auth.createUserTokenClient(claims({ aud: APP }) as Auth)).toBe(tokens);
    expect(counts.tokenClients).toBe(1);
  });
});
