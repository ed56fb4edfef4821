import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { registerAdminCommands } from '../../../src/admin/admin-commands.ts';
import { consoleVerb } from '../../../src/console/console-verb.ts';
import { createSignInLink } from '../../../src/console/sign-in-links.ts';
import { LocalMentionResolver } from '../../../src/local/local-mention-resolver.ts';
import { createKudosRouter } from '../../../src/recognition/kudos-commands.ts';
import { createRecognitionServices } from '../../../src/recognition/recognition-services.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { ConsoleClient } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { localCommand } from '../../support/recognition-fixture.ts';

describe('console sign-in: one-time links, sessions, CSRF', () => {
  const { start } = consoleOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Li: {},
  });
  const linkFor = (f: AdminFixture, name: string) =>
    createSignInLink(f.db, f.organizationId, (f.members[name] as { id: number }).id);
  const signInWith = (url: string, token: string) =>
    new ConsoleClient(url).post('/console/sign-in', { _csrf: null, token });

  it('opens a page that asks for a click, so a link previewer fetching it uses nothing', async () => {
    const { f, harness: console } = await start();
    const token = await linkFor(f, 'Ada');
    const preview = await new ConsoleClient(console.url).get(`/console/sign-in?token=${token}`);
    expect(preview.status).toBe(200);
    expect(preview.html).toContain('<button type="submit">Sign in</button>');
    expect(preview.headers.get('set-cookie')).toBeNull();
    const signedIn = await signInWith(console.url, token);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/console');
  });

  it('signs in with a link once: the session cookie is signed, HttpOnly and SameSite', async () => {
    const { f, harness: console } = await start();
    const token = await linkFor(f, 'Ada');
    const client = new ConsoleClient(console.url);
    const first = await client.post('/console/sign-in', { _csrf: null, token });
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^plaudit_session=[^;]+\.[^;]+; Path=\/console; Max-Age=43200; HttpOnly; SameSite=Lax$/,
    );
    expect(cookie).not.toContain(token);
    const overview = await client.get('/console');
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('<h1>Overview</h1>');
    expect(overview.html).toContain('Ada');

    const again = await signInWith(console.url, token);
    expect(again.status).toBe(403);
    expect(again.html).toContain('This sign-in link has been used already; each link works once.');
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('makes links for 10 minutes and sessions for 12 hours, clears long-dead ones, and audits', async () => {
    const { f, harness: console } = await start();
    await linkFor(f, 'Ada');
    const ada = await console.signIn('Ada');
    const lifetimes = await sql<{ kind: string; minutes: number }>`
      select 'link' as kind, extract(epoch from expires_at - created_at)::int / 60 as minutes
        from console_sign_in_links where organization_id = ${f.organizationId}
      union all
      select 'session', extract(epoch from expires_at - created_at)::int / 60
        from console_sessions where organization_id = ${f.organizationId}
      order by 1`.execute(f.db);
    expect(lifetimes.rows).toEqual([
      { kind: 'link', minutes: 10 },
      { kind: 'link', minutes: 10 },
      { kind: 'session', minutes: 720 },
    ]);
    // Rows over for more than a day go when the next one is made.
    await sql`update console_sign_in_links set expires_at = now() - interval '25 hours'
      where organization_id = ${f.organizationId}`.execute(f.db);
    await sql`update console_sessions set expires_at = now() - interval '25 hours'
      where organization_id = ${f.organizationId}`.execute(f.db);
    await console.signIn('Hal');
    const left = await sql<{ links: number; sessions: number }>`select
      (select count(*)::int from console_sign_in_links where organization_id = ${f.organizationId}) as links,
      (select count(*)::int from console_sessions where organization_id = ${f.organizationId}) as sessions`.execute(
      f.db,
    );
    expect(left.rows[0]).toEqual({ links: 1, sessions: 1 });
    expect((await ada.get('/console')).status).toBe(303);
    const hal = await console.signIn('Hal');
    await hal.post('/console/sign-out');
    const entries = (await f.audit()).filter((e) => e.action.startsWith('console.'));
    expect(entries.map((e) => [e.action, e.outcome, e.via])).toEqual([
      ['console.sign_in', 'done', 'console'],
      ['console.sign_in', 'done', 'console'],
      ['console.sign_in', 'done', 'console'],
      ['console.sign_out', 'done', 'console'],
    ]);
  });

  it('uses a __Host- cookie over https, and takes forms only from PUBLIC_URL when set', async () => {
    const { f, harness } = await start({
      secureCookies: true,
      origin: 'https://kudos.example.com',
    });
    const token = await linkFor(f, 'Ada');
    const post = (origin: string) =>
      fetch(`${harness.url}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ token }),
      });
    // The request's own host is not where people open the console behind a proxy.
    const ownHost = await post(harness.url);
    expect(ownHost.status).toBe(403);
    const signedIn = await post('https://kudos.example.com');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('set-cookie')).toMatch(
      /^__Host-plaudit_session=[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure$/,
    );
  });

  it('lets two clicks of one link at once sign in once', async () => {
    const { f, harness: console } = await start();
    const token = await linkFor(f, 'Ada');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => signInWith(console.url, token)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([303, 403, 403, 403, 403, 403, 403, 403]);
    const { rows } = await sql<{ n: string }>`select count(*) as n from console_sessions
      where organization_id = ${f.organizationId}`.execute(f.db);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('refuses an expired link, an unknown one, and a request without one', async () => {
    const { f, harness: console } = await start();
    const token = await linkFor(f, 'Ada');
    await sql`update console_sign_in_links set expires_at = now() - interval '1 second'
      where organization_id = ${f.organizationId}`.execute(f.db);
    const expired = await signInWith(console.url, token);
    expect(expired.status).toBe(403);
    expect(expired.html).toContain('This sign-in link has expired; links work for 10 minutes.');
    const unknown = await signInWith(console.url, `${token}x`);
    expect(unknown.status).toBe(403);
    expect(unknown.html).toContain('This sign-in link is not one Plaudit sent.');
    const none = await signInWith(console.url, '');
    expect(none.status).toBe(400);
  });

  it('refuses a link of someone who is no longer admin or HR, and ends access on demotion', async () => {
    const { f, harness: console } = await start();
    const liToken = await linkFor(f, 'Li');
    const li = await signInWith(console.url, liToken);
    expect(li.status).toBe(403);
    expect(li.html).toContain('Only admins and HR can use the console');

    const hal = await console.signIn('Hal');
    expect((await hal.get('/console')).status).toBe(200);
    await sql`update members set roles = '{member}' where id = ${f.members.Hal?.id}`.execute(f.db);
    const after = await hal.get('/console');
    expect(after.status).toBe(403);
    expect(after.html).toContain('Only admins and HR can use the console');
  });

  it('sends a visitor without a session, or with a forged cookie, to the sign-in page', async () => {
    const { harness: console } = await start();
    const anonymous = await new ConsoleClient(console.url).get('/console/people');
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toBe('/console/sign-in');
    const forged = await fetch(`${console.url}/console`, {
      redirect: 'manual',
      headers: { cookie: 'plaudit_session=abc.def' },
    });
    expect(forged.status).toBe(303);
    const page = await new ConsoleClient(console.url).get('/console/sign-in');
    expect(page.html).toContain('send /kudos admin console in Slack or Teams');
  });

  it('tells people to ask for a link with the commands this deployment serves', async () => {
    const { f, harness: console } = await start({
      chat: { slackCommand: '/praise', teams: true },
    });
    const ways = 'send /praise admin console in Slack, or admin console to Plaudit in Teams';
    const page = await new ConsoleClient(console.url).get('/console/sign-in');
    expect(page.html).toContain(`To sign in, ${ways}; Plaudit sends you a link`);
    const token = await linkFor(f, 'Ada');
    await signInWith(console.url, token);
    const used = await signInWith(console.url, token);
    expect(used.html).toContain(
      `This sign-in link has been used already; each link works once. Ask for a new one: ${ways}.`,
    );
    const hal = await console.signIn('Hal');
    expect((await hal.get('/console/catalog')).html).toContain(
      'Members redeem active rewards in chat (/praise redeem in Slack, or redeem to Plaudit in Teams)',
    );
    const slackOnly = await start({ fixture: f, chat: { slackCommand: '/praise' } });
    expect((await new ConsoleClient(slackOnly.harness.url).get('/console/sign-in')).html).toContain(
      'To sign in, send /praise admin console in Slack; Plaudit sends you a link',
    );
  });

  it('sends no script, no framing and no Referer, and answers unknown pages with a page', async () => {
    const { f, harness: console } = await start();
    const token = await linkFor(f, 'Ada');
    const signInPage = await new ConsoleClient(console.url).get(`/console/sign-in?token=${token}`);
    for (const page of [signInPage, await (await console.signIn('Ada')).get('/console')]) {
      expect(page.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.html).toContain('<link rel="stylesheet" href="/console/style.css">');
      expect(page.html).not.toContain('<script');
    }
    const style = await fetch(`${console.url}/console/style.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await style.text()).toContain('.cards');
    const ada = await console.signIn('Ada');
    const missing = await ada.get('/console/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('There is no console page at this address.');
  });

  it('refuses a form without its CSRF token, or from another site, and signs out with it', async () => {
    const { f, harness: console } = await start();
    const ada = await console.signIn('Ada');
    const noToken = await ada.post('/console/sign-out', { _csrf: null });
    expect(noToken.status).toBe(403);
    expect(noToken.html).toContain('Nothing changed.');
    const wrongToken = await ada.post('/console/sign-out', { _csrf: 'x'.repeat(43) });
    expect(wrongToken.status).toBe(403);
    const crossSite = await fetch(`${console.url}/console/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        ...ada.cookieHeader(),
      },
      body: new URLSearchParams({ _csrf: ada.csrfToken }),
    });
    expect(crossSite.status).toBe(403);
    expect((await ada.get('/console')).status).toBe(200);

    const out = await ada.post('/console/sign-out');
    expect(out.status).toBe(200);
    expect(out.html).toContain('You are signed out.');
    expect((await ada.get('/console')).status).toBe(303);
    const { rows } = await sql<{ ended: Date | null }>`select ended_at as ended
      from console_sessions where organization_id = ${f.organizationId}`.execute(f.db);
    expect(rows.every((row) => row.ended !== null)).toBe(true);
  });
});

describe('/kudos admin console: a link by direct message, for admins and HR', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Li: {},
  });

  const withVerb = async () => {
    const f = await orgs.organization();
    // The fixture's router has the admin verbs of ADMIN_VERBS; the console verb is added
    // by the app with its address.
    const router = createKudosRouter(createRecognitionServices(f.db));
    registerAdminCommands(router, f.services, [consoleVerb(() => 'https://kudos.example.com')]);
    return { f, router };
  };

  it('gives an admin and an HR member a direct link, audited without its secret', async () => {
    const { f, router } = await withVerb();
    const resolver = new LocalMentionResolver(f.db);
    for (const name of ['Ada', 'Hal']) {
      const member = f.members[name];
      if (!member) throw new Error(name);
      const reply = await router.route(
        localCommand(member, 'admin console', `k-${name}`, resolver),
      );
      expect(reply.outcome).toBe('ok');
      expect(reply.direct).toBe(true);
      expect(reply.confidential).toBe(true);
      const token = /sign-in\?token=([A-Za-z0-9_-]{43})$/.exec(reply.text)?.[1];
      expect(reply.text).toMatch(
        /^Your link to the Plaudit console works once, for 10 minutes: https:\/\/kudos\.example\.com\/console\/sign-in\?token=/,
      );
      expect(token).toBeDefined();
      const audit = JSON.stringify(await f.audit());
      expect(audit).not.toContain(token);
    }
    const entries = (await f.audit()).filter((e) => e.action === 'console.link');
    expect(entries.map((e) => e.outcome)).toEqual(['done', 'done']);
  });

  it('sends no link while the console has no address people can open', async () => {
    const f = await orgs.organization();
    const router = createKudosRouter(createRecognitionServices(f.db));
    registerAdminCommands(router, f.services, [consoleVerb(() => undefined)]);
    const ada = f.members.Ada;
    if (!ada) throw new Error('Ada');
    const reply = await router.route(
      localCommand(ada, 'admin console', 'k-ada', new LocalMentionResolver(f.db)),
    );
    expect(reply).toMatchObject({ outcome: 'refused', code: 'console_address_unset' });
    expect(reply.text).toBe(
      "The console's web address is not set, so a link could not reach you; ask whoever runs Plaudit to set PUBLIC_URL.",
    );
    const { rows } = await sql<{ n: string }>`select count(*) as n from console_sign_in_links
      where organization_id = ${f.organizationId}`.execute(f.db);
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('refuses a member, audits the attempt, and makes no link', async () => {
    const { f, router } = await withVerb();
    const li = f.members.Li;
    if (!li) throw new Error('Li');
    const reply = await router.route(
      localCommand(li, 'admin console', 'k-li', new LocalMentionResolver(f.db)),
    );
    expect(reply.outcome).toBe('refused');
    expect(reply.text).toBe(
      'Only admins and HR can use the web console; ask an admin if you need it.',
    );
    expect(reply.text).not.toContain('token');
    const { rows } = await sql<{ n: string }>`select count(*) as n from console_sign_in_links
      where organization_id = ${f.organizationId}`.execute(f.db);
    expect(Number(rows[0]?.n)).toBe(0);
    const refused = (await f.audit()).filter((e) => e.action === 'console.link');
    expect(refused).toMatchObject([{ outcome: 'refused', refusalCode: 'not_admin' }]);
  });
});
