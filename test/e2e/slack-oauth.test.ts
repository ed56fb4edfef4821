import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { FakeSlackApi, type FakeSlackGrant } from '../support/fake-slack-api.ts';
import { organizationSnapshot } from '../support/organization-snapshot.ts';
import { SIGNING_SECRET } from '../support/slack-plaudit.ts';
import {
  postSlackEvent,
  postSlashCommand,
  type SlashCommand,
  type SlashCommandResponse,
  slashCommandText,
} from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

/**
 * One deployment in OAuth mode: two workspaces and an Enterprise Grid install Plaudit
 * through Bolt's real install flow (the install page, Slack's authorize page on the fake,
 * the redirect with its code and state), each becomes its own organization, and each is
 * served with its own token.
 */
describe('Slack OAuth installs: several workspaces and an Enterprise Grid on one deployment', () => {
  const run = randomUUID().slice(0, 6).toUpperCase();
  const acme = { id: `TACME${run}`, name: 'Acme' };
  const globex = { id: `TGLOBEX${run}`, name: 'Globex' };
  const initech = { id: `E${run}`, name: 'Initech' };
  const initechSales = `TSALES${run}`;
  const initechOps = `TOPS${run}`;
  const fake = new FakeSlackApi({ id: `TNONE${run}`, name: 'None', botUserId: 'UNOBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const person = (id: string, name: string, teamId: string, enterpriseId?: string) =>
    fake.users.set(id, {
      id,
      name,
      team_id: teamId,
      ...(enterpriseId && { enterprise_user: { enterprise_id: enterpriseId, teams: [teamId] } }),
      profile: { display_name: name, email: `${id.toLowerCase()}@${teamId.toLowerCase()}.example` },
    });

  const acmeGrant: FakeSlackGrant = { team: acme, installer: 'UANA', botUserId: 'UBOTACME' };
  const globexGrant: FakeSlackGrant = { team: globex, installer: 'UGUS', botUserId: 'UBOTGLOBEX' };
  const initechGrant: FakeSlackGrant = {
    enterprise: initech,
    isEnterpriseInstall: true,
    installer: 'UPETER',
    botUserId: 'UBOTINITECH',
  };

  /** An admin's way through the install: the install page, Slack's authorize page, the redirect. */
  async function install(grant: FakeSlackGrant): Promise<{ status: number; html: string }> {
    const page = await fetch(`${plaudit.url}/slack/install`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Add Plaudit to Slack');
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^slack-app-oauth-state=./);
    const href = (/href="([^"]+)"/.exec(html)?.[1] ?? '').replaceAll('&amp;', '&');
    fake.nextGrant = grant;
    const atSlack = await fetch(href, { redirect: 'manual' });
    expect(atSlack.status).toBe(302);
    const back = await fetch(atSlack.headers.get('location') as string, { headers: { cookie } });
    return { status: back.status, html: await back.text() };
  }

  const command = (teamId: string, user: string, text: string, extra: Partial<SlashCommand> = {}) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${run}-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
      ...extra,
    });
  const initechCommand = (teamId: string, user: string, text: string) =>
    command(teamId, user, text, { enterprise_id: initech.id, is_enterprise_install: 'true' });
  const replyText = (response: SlashCommandResponse) => slashCommandText(response, fake);

  /** The organization a workspace belongs to. */
  async function organizationOf(teamId: string): Promise<number> {
    const { rows } = await sql<{ id: number }>`
      select organization_id as id from slack_workspaces where team_id = ${teamId}`.execute(
      plaudit.db,
    );
    return rows[0]?.id as number;
  }

  /** Points a Slack user has earned in a workspace, from the ledger. */
  async function earned(teamId: string, userId: string): Promise<number> {
    const { rows } = await sql<{ available: number }>`
      select b.credits_posted - b.debits_posted - b.debits_pending as available
      from platform_identities p
      join ledger_accounts a on a.member_id = p.member_id and a.code = 'earned'
      join ledger_balances b on b.account_id = a.id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${userId}`.execute(
      plaudit.db,
    );
    return rows[0]?.available ?? 0;
  }

  /** Whether a Slack user's member is admin, and who made them so (the audit's `grantedBy`). */
  async function adminGrant(teamId: string, userId: string): Promise<string[]> {
    const { rows } = await sql<{ granted_by: string }>`
      select a.after ->> 'grantedBy' as granted_by
      from platform_identities p
      join members m on m.id = p.member_id and 'admin' = any(m.roles)
      join audit_log a on a.organization_id = p.organization_id
        and a.action = 'role.grant' and a.target = 'member:' || p.member_id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${userId}`.execute(
      plaudit.db,
    );
    return rows.map((row) => row.granted_by);
  }

  beforeAll(async () => {
    await fake.start();
    person('UANA', 'Ana', acme.id);
    person('ULI', 'Li', acme.id);
    person('UGUS', 'Gus', globex.id);
    person('UHAL', 'Hal', globex.id);
    person('UPETER', 'Peter', initechSales, initech.id);
    person('UMILTON', 'Milton', initechOps, initech.id);
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        SLACK_CLIENT_ID: fake.client.id,
        SLACK_CLIENT_SECRET: fake.client.secret,
        SLACK_STATE_SECRET: randomBytes(32).toString('hex'),
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PLAUDIT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        SLACK_API_URL: `${fake.url}/api/`,
        SLACK_AUTHORIZE_URL: `${fake.url}/oauth/v2/authorize`,
      }),
    );
    fake.redirectUrl = `${plaudit.url}/slack/oauth_redirect`;
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('serves no workspace before an install: its commands get 401', async () => {
    expect(plaudit.slack?.workspace).toBeUndefined();
    expect((await command(acme.id, 'UANA', 'balance')).status).toBe(401);
  });

  it('installs two workspaces and a Grid org, each its own organization, the installer its first admin', async () => {
    for (const grant of [acmeGrant, globexGrant, initechGrant]) {
      const done = await install(grant);
      expect(done.status).toBe(200);
      expect(done.html).toContain('Plaudit is installed in');
    }
    // Bolt exchanged each code, and checked each token with auth.test.
    expect(fake.callsTo('oauth.v2.access')).toHaveLength(3);
    const acmeOrg = await organizationOf(acme.id);
    const globexOrg = await organizationOf(globex.id);
    // The Grid's installer's own workspace was connected to the enterprise's organization.
    const initechOrg = await organizationOf(initechSales);
    expect(new Set([acmeOrg, globexOrg, initechOrg]).size).toBe(3);
    const names = await plaudit.db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', 'in', [acmeOrg, globexOrg, initechOrg])
      .execute();
    expect(Object.fromEntries(names.map((row) => [row.id, row.name]))).toEqual({
      [acmeOrg]: 'Acme',
      [globexOrg]: 'Globex',
      [initechOrg]: 'Initech',
    });
    expect(await adminGrant(acme.id, 'UANA')).toEqual(['installer']);
    expect(await adminGrant(globex.id, 'UGUS')).toEqual(['installer']);
    expect(await adminGrant(initechSales, 'UPETER')).toEqual(['installer']);
  });

  it('gives kudos in each, with its own token, each organization untouched by the others', async () => {
    const acmeOrg = await organizationOf(acme.id);
    const globexOrg = await organizationOf(globex.id);
    const acmeBefore = await organizationSnapshot(plaudit.db, acmeOrg);
    const globexBefore = await organizationSnapshot(plaudit.db, globexOrg);

    const given = await command(acme.id, 'UANA', '<@ULI> 10 for the launch');
    expect(await replyText(given)).toMatch(/^You gave 10 points to Li for the launch/);
    await plaudit.settled();
    expect(await earned(acme.id, 'ULI')).toBe(10);
    // Acme's people were looked up with Acme's token.
    const acmeToken = [...fake.tokens].find(([, issued]) => issued.grant === acmeGrant)?.[0];
    const lookedUp = fake.callsTo('users.info').filter((call) => call.body.user === 'ULI');
    expect(lookedUp.map((call) => call.token)).toEqual([acmeToken]);
    expect(await organizationSnapshot(plaudit.db, globexOrg)).toEqual(globexBefore);

    const acmeAfter = await organizationSnapshot(plaudit.db, acmeOrg);
    expect(await replyText(await command(globex.id, 'UGUS', '<@UHAL> 7 for the books'))).toMatch(
      /^You gave 7 points to Hal/,
    );
    await plaudit.settled();
    expect(await earned(globex.id, 'UHAL')).toBe(7);
    const globexToken = [...fake.tokens].find(([, issued]) => issued.grant === globexGrant)?.[0];
    const halLookedUp = fake.callsTo('users.info').filter((call) => call.body.user === 'UHAL');
    expect(halLookedUp.map((call) => call.token)).toEqual([globexToken]);
    expect(await organizationSnapshot(plaudit.db, acmeOrg)).toEqual(acmeAfter);
    expect(acmeAfter).not.toEqual(acmeBefore);
  });

  it("connects each workspace of the Grid to the enterprise's organization on its first request", async () => {
    const initechOrg = await organizationOf(initechSales);
    // Milton's workspace has sent nothing yet: it is not connected.
    expect(await organizationOf(initechOps)).toBeUndefined();
    const given = await initechCommand(initechOps, 'UMILTON', '<@UPETER> 5 for the stapler');
    expect(await replyText(given)).toMatch(/^You gave 5 points to Peter/);
    await plaudit.settled();
    expect(await organizationOf(initechOps)).toBe(initechOrg);
    expect(await earned(initechSales, 'UPETER')).toBe(5);
    // A workspace of another enterprise, or none, is not served.
    expect(
      (
        await command(`TNOPE${run}`, 'UX', 'balance', {
          enterprise_id: `ENOPE${run}`,
          is_enterprise_install: 'true',
        })
      ).status,
    ).toBe(401);
  });

  it('uninstalled, a workspace is refused and keeps its points; reinstalled, it is as it was', async () => {
    const globexOrg = await organizationOf(globex.id);
    const before = await organizationSnapshot(plaudit.db, globexOrg);
    const uninstalled = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: globex.id,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-uninstall-${run}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_uninstalled' },
      authorizations: [
        {
          team_id: globex.id,
          enterprise_id: null,
          user_id: 'UBOTGLOBEX',
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
    });
    expect(uninstalled.status).toBe(200);
    fake.revokeTokensOf(globex.id);
    // Bolt acks an event before its handler runs: wait for the installation to be disabled.
    const stored = () =>
      plaudit.db
        .selectFrom('slack_installations')
        .select(['disabled_at', 'sealed_tokens'])
        .where('team_id', '=', globex.id)
        .executeTakeFirstOrThrow();
    await until(async () => (await stored()).disabled_at !== null);
    expect((await stored()).sealed_tokens).toBeNull();
    expect((await command(globex.id, 'UGUS', '<@UHAL> 1 for more')).status).toBe(401);
    expect(await organizationSnapshot(plaudit.db, globexOrg)).toEqual(before);
    // The other installs are served as before.
    expect((await command(acme.id, 'ULI', 'balance')).status).toBe(200);

    // Hal reinstalls: the same organization, the same balances, and Gus stays the only admin.
    const again = await install({ ...globexGrant, installer: 'UHAL' });
    expect(again.status).toBe(200);
    expect(await organizationOf(globex.id)).toBe(globexOrg);
    expect(await organizationSnapshot(plaudit.db, globexOrg)).toEqual(before);
    expect(await earned(globex.id, 'UHAL')).toBe(7);
    expect(await adminGrant(globex.id, 'UHAL')).toEqual([]);
    expect(await replyText(await command(globex.id, 'UHAL', '<@UGUS> 2 for coming back'))).toMatch(
      /^You gave 2 points to Gus/,
    );
    await plaudit.settled();
    expect(await earned(globex.id, 'UGUS')).toBe(2);
  });

  it('installs nothing from a redirect whose state is forged, missing, or from another browser', async () => {
    const exchanges = fake.callsTo('oauth.v2.access').length;
    const installs = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from slack_installations`.execute(
          plaudit.db,
        )
      ).rows[0]?.n;
    const before = await installs();
    const page = await fetch(`${plaudit.url}/slack/install`);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const state = /state=([^&"]+)/.exec(await page.text())?.[1] as string;
    const redirect = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${plaudit.url}/slack/oauth_redirect?${query}`, { headers });
    // A code for a real grant, which a forged redirect tries to spend.
    fake.nextGrant = {
      team: { id: `TFORGED${run}`, name: 'Forged' },
      installer: 'UX',
      botUserId: 'UB',
    };
    const atSlack = await fetch(
      `${fake.url}/oauth/v2/authorize?client_id=${fake.client.id}&state=x`,
      { redirect: 'manual' },
    );
    const code = new URL(atSlack.headers.get('location') as string).searchParams.get('code');
    const refused = [
      await redirect(`code=${code}&state=forged`, { cookie: 'slack-app-oauth-state=forged' }),
      await redirect(`code=${code}`, { cookie }),
      // A real state, but not this browser's: no cookie, or another install's.
      await redirect(`code=${code}&state=${state}`),
      await redirect(`code=${code}&state=${state}`, { cookie: 'slack-app-oauth-state=other' }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('Plaudit was not installed');
    }
    expect(fake.callsTo('oauth.v2.access')).toHaveLength(exchanges);
    expect(await installs()).toBe(before);
    expect(await organizationOf(`TFORGED${run}`)).toBeUndefined();
  });

  it('keeps tokens sealed: no token is in the database in clear', async () => {
    const acmeToken = [...fake.tokens].find(([, issued]) => issued.grant === acmeGrant)?.[0];
    expect(acmeToken).toMatch(/^xoxb-/);
    const { rows } = await sql<{ row: string; sealed: string; key_id: string }>`
      select to_jsonb(i)::text as row, encode(sealed_tokens, 'escape') as sealed, key_id
      from slack_installations i where team_id = ${acme.id}`.execute(plaudit.db);
    expect(rows).toHaveLength(1);
    const [stored] = rows as [{ row: string; sealed: string; key_id: string }];
    expect(stored.key_id).toMatch(/^[0-9a-f]{16}$/);
    for (const text of [stored.row, stored.sealed]) {
      expect(text).not.toContain(acmeToken);
      expect(text).not.toContain(Buffer.from(acmeToken as string).toString('hex'));
      expect(text).not.toContain('xoxb-');
    }
    // And the whole database holds no token of any install, in any table.
    const dump = await sql<{ found: boolean }>`
      select exists (
        select 1 from slack_installations i where to_jsonb(i)::text like '%xoxb-%'
          or encode(i.sealed_tokens, 'escape') like '%xoxb-%'
      ) as found`.execute(plaudit.db);
    expect(dump.rows[0]?.found).toBe(false);
  });

  it('refreshes a rotating token near its expiry through oauth.v2.access, and uses and seals the new one', async () => {
    const rotating = { id: `TROTA${run}`, name: 'Rotating' };
    person('UROSA', 'Rosa', rotating.id);
    person('URUI', 'Rui', rotating.id);
    // The first token expires in a minute: within the two hours Bolt refreshes before.
    const grant: FakeSlackGrant = {
      team: rotating,
      installer: 'UROSA',
      botUserId: 'UBOTROTA',
      expiresIn: 60,
    };
    expect((await install(grant)).status).toBe(200);
    const issued = () =>
      [...fake.tokens].filter(([, token]) => token.grant.team?.id === rotating.id).map(([t]) => t);
    const [first, refreshed] = issued();
    const refreshes = fake
      .callsTo('oauth.v2.access')
      .filter((call) => call.body.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshed).toBeDefined();
    expect(
      await replyText(await command(rotating.id, 'UROSA', '<@URUI> 3 for the rotation')),
    ).toMatch(/^You gave 3 points to Rui/);
    // Refreshed once (the new token lasts 12 hours); everything after it used the new one.
    expect(
      fake.callsTo('oauth.v2.access').filter((call) => call.body.grant_type === 'refresh_token'),
    ).toHaveLength(1);
    expect(issued()).toEqual([first, refreshed]);
    const rui = fake.callsTo('users.info').filter((call) => call.body.user === 'URUI');
    expect(rui.map((call) => call.token)).toEqual([refreshed]);
    const { rows } = await sql<{ row: string; expires: number }>`
      select to_jsonb(i)::text as row, bot_token_expires_at as expires
      from slack_installations i where team_id = ${rotating.id}`.execute(plaudit.db);
    expect(rows[0]?.row).not.toContain(refreshed);
    expect(rows[0]?.row).not.toContain('xoxe-');
    expect(Number(rows[0]?.expires)).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
  });

  it('disables an installation whose bot token was revoked, keeping its points', async () => {
    const acmeOrg = await organizationOf(acme.id);
    const before = await organizationSnapshot(plaudit.db, acmeOrg);
    const revoked = (tokens: Record<string, string[]>) =>
      postSlackEvent(plaudit.url, SIGNING_SECRET, {
        token: 'deprecated',
        team_id: acme.id,
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: `Ev-revoked-${run}-${Object.keys(tokens).join()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'tokens_revoked', tokens },
        authorizations: [
          {
            team_id: acme.id,
            enterprise_id: null,
            user_id: 'UBOTACME',
            is_bot: true,
            is_enterprise_install: false,
          },
        ],
      });
    const disabledAt = async () =>
      (
        await plaudit.db
          .selectFrom('slack_installations')
          .select('disabled_at')
          .where('team_id', '=', acme.id)
          .executeTakeFirstOrThrow()
      ).disabled_at;
    expect((await command(acme.id, 'UANA', 'balance')).status).toBe(200);
    expect((await revoked({ bot: ['UBOTACME'] })).status).toBe(200);
    await until(async () => (await disabledAt()) !== null);
    expect((await command(acme.id, 'UANA', 'balance')).status).toBe(401);
    expect(await organizationSnapshot(plaudit.db, acmeOrg)).toEqual(before);
  });
  it('uninstalled org-wide, every Grid workspace is refused and keeps its points; reinstalled, as it was', async () => {
    const initechOrg = await organizationOf(initechSales);
    const before = await organizationSnapshot(plaudit.db, initechOrg);
    const enterpriseRow = () =>
      plaudit.db
        .selectFrom('slack_installations')
        .select(['disabled_at', 'sealed_tokens', 'organization_id'])
        .where('enterprise_id', '=', initech.id)
        .where('is_enterprise_install', '=', true)
        .executeTakeFirstOrThrow();
    const uninstalled = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: initechSales,
      enterprise_id: initech.id,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-grid-uninstall-${run}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_uninstalled' },
      authorizations: [
        {
          team_id: null,
          enterprise_id: initech.id,
          user_id: 'UBOTINITECH',
          is_bot: true,
          is_enterprise_install: true,
        },
      ],
    });
    expect(uninstalled.status).toBe(200);
    fake.revokeTokensOf(initech.id);
    await until(async () => (await enterpriseRow()).disabled_at !== null);
    expect((await enterpriseRow()).sealed_tokens).toBeNull();
    for (const team of [initechSales, initechOps]) {
      expect((await initechCommand(team, 'UMILTON', '<@UPETER> 1 for more')).status).toBe(401);
    }
    expect(await organizationSnapshot(plaudit.db, initechOrg)).toEqual(before);
    // Other installs are served as before.
    expect((await command(globex.id, 'UGUS', 'balance')).status).toBe(200);

    const again = await install({ ...initechGrant, installer: 'UMILTON' });
    expect(again.status).toBe(200);
    expect((await enterpriseRow()).organization_id).toBe(initechOrg);
    expect(await organizationSnapshot(plaudit.db, initechOrg)).toEqual(before);
    expect(await adminGrant(initechOps, 'UMILTON')).toEqual([]);
    expect(
      await replyText(await initechCommand(initechOps, 'UMILTON', '<@UPETER> 1 for coming back')),
    ).toMatch(/^You gave 1 point to Peter/);
    await plaudit.settled();
    expect(await earned(initechSales, 'UPETER')).toBe(6);
  });
});
