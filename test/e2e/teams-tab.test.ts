import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { teamsSsoResource } from '../../src/teams/teams-sso.ts';
import { type Forgery, forgedToken } from '../support/bot-framework-keys.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { FakeEntraId, type SsoTokenClaims } from '../support/fake-entra-id.ts';
import { botInstalled, postActivity, teamsMessage } from '../support/teams-activities.ts';
import { teamsEarned } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();
const PUBLIC_URL = 'https://kudos.contoso-robotics.com';

describe('the Teams personal tab', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  const entra = new FakeEntraId();
  let plaudit: RunningPlaudit;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  /** In the tenant, but never seen by the bot. */
  const newcomer = person('Nia Newcomer');

  /** Li's token for the tab, as Teams hands it over, with `change` made to its claims. */
  const claimsOf = (change: Partial<SsoTokenClaims> = {}): SsoTokenClaims => ({
    tenantId,
    aadObjectId: li.aadObjectId,
    audience: APP_ID,
    ...change,
  });
  /** `GET /teams/tab/content` with this bearer token (none if undefined). */
  async function content(token: string | undefined) {
    const response = await fetch(`${plaudit.url}/teams/tab/content`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: await response.text(),
    };
  }

  beforeAll(async () => {
    await connector.start();
    await entra.start();
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { TEAMS_SSO_OPENID_METADATA_URL: entra.openIdMetadataUrl, PUBLIC_URL },
    );
    const scene = teamsScene(connector, APP_ID, tenantId);
    const token = connectorToken(connector, APP_ID);
    // Ana and Li installed the app; Ana thanked Li.
    for (const installer of [ana, li]) {
      expect((await postActivity(plaudit.url, botInstalled(scene, installer), token)).status).toBe(
        200,
      );
    }
    const give = teamsMessage(scene, ana, 'give <at>Li</at> 7 for the tab #teamwork', {
      mentions: [li],
    });
    expect((await postActivity(plaudit.url, give, token)).status).toBe(200);
    await plaudit.settled();
    expect(await teamsEarned(plaudit.db, tenantId, li)).toBe(7);
  });
  afterAll(async () => {
    await plaudit?.close();
    await entra.stop();
    await connector.stop();
  });

  it('serves a small page that Teams may frame, with the Teams JS SDK from Plaudit itself', async () => {
    const page = await fetch(`${plaudit.url}/teams/tab`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/frame-ancestors [^;]*teams\.microsoft\.com/);
    expect(page.headers.get('x-frame-options')).toBeNull();
    const body = await page.text();
    expect(body).toContain('<script src="tab/teams-js.js"></script>');
    expect(body).not.toMatch(/<script>|<script type="module">/);

    const sdk = await fetch(`${plaudit.url}/teams/tab/teams-js.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    expect(await sdk.text()).toContain('getAuthToken');
    const script = await (await fetch(`${plaudit.url}/teams/tab/tab.js`)).text();
    expect(script).toContain('microsoftTeams.authentication.getAuthToken()');
    expect(script).toContain("fetch('tab/content'");
  });

  it('shows the signed-in person their own balance, recent kudos and the leaderboard', async () => {
    const mine = await content(entra.ssoToken(claimsOf()));
    expect(mine.status).toBe(200);
    expect(mine.type).toMatch(/^text\/html/);
    expect(mine.body).toContain('<h2>Your kudos balance</h2>');
    expect(mine.body).toContain('<dt>Left to give this month</dt><dd>100 of 100</dd>');
    expect(mine.body).toContain('<dt>Earned, to spend</dt><dd>7</dd>');
    expect(mine.body).toMatch(/<li>\w{3} \d{1,2} \w{3} — Ana gave you 7: the tab #teamwork<\/li>/);
    expect(mine.body).toContain('<h2>Leaderboard, this month</h2>');
    expect(mine.body).toContain('<li>1. Li — 7 points</li>');

    // Ana's, with a v1 token for the Application ID URI: her allowance is what she has left.
    const anas = await content(
      entra.ssoToken(
        claimsOf({
          aadObjectId: ana.aadObjectId,
          audience: teamsSsoResource(PUBLIC_URL, APP_ID),
          version: '1.0',
        }),
      ),
    );
    expect(anas.status).toBe(200);
    expect(anas.body).toContain('<dt>Left to give this month</dt><dd>93 of 100</dd>');
    expect(anas.body).toContain('<dt>Earned, to spend</dt><dd>0</dd>');
  });

  it('tells someone Plaudit has not met yet how to start', async () => {
    const theirs = await content(entra.ssoToken(claimsOf({ aadObjectId: newcomer.aadObjectId })));
    expect(theirs.status).toBe(200);
    expect(theirs.body).toContain('Plaudit has not met you yet');
    expect(theirs.body).not.toContain('<dl>');
    expect(theirs.body).not.toContain('Li — 7 points');
  });

  const refusals: Array<[string, () => string | undefined]> = [
    ['no token', () => undefined],
    ['a token that is no JWT', () => 'not-a-token'],
    ['an expired token', () => entra.ssoToken(claimsOf({ expiresIn: -600 }))],
    ['a token for another app', () => entra.ssoToken(claimsOf({ audience: randomUUID() }))],
    [
      "a token for another host's Application ID URI",
      () =>
        entra.ssoToken(
          claimsOf({ audience: teamsSsoResource('https://evil.example.net', APP_ID) }),
        ),
    ],
    [
      'a token issued by another tenant than it names',
      () =>
        entra.ssoToken(
          claimsOf({ issuer: `https://login.microsoftonline.com/${randomUUID()}/v2.0` }),
        ),
    ],
    [
      'a token without the access_as_user scope',
      () => entra.ssoToken(claimsOf({ scope: 'User.Read' })),
    ],
    ...(['other-key', 'alg-none', 'hs256-with-public-key'] as Forgery[]).map(
      (forgery): [string, () => string] => [
        `a token forged (${forgery})`,
        () => forgedToken(entra.key, entra.ssoPayload(claimsOf()), forgery),
      ],
    ),
  ];
  it.each(refusals)('refuses %s with 401 and shows nothing', async (_, token) => {
    const refused = await content(token());
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'unauthorized',
      message:
        'This request carries no valid Microsoft Teams sign-in for Plaudit; reopen the tab in Teams.',
    });
  });

  it('refuses a valid token of a tenant Plaudit does not serve with 403', async () => {
    const refused = await content(entra.ssoToken(claimsOf({ tenantId: randomUUID() })));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toBe('tenant_not_allowed');
  });

  it("reads Entra ID's configuration once, not per request", () => {
    const reads = entra.requests.filter((path) => path.endsWith('openid-configuration'));
    expect(reads).toHaveLength(1);
  });
});
