import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/secrets.ts';
import { expectRendered, useBrowser } from '../support/browser.ts';
import { SlackConsole } from '../support/slack-console.ts';

/**
 * Signing in to the web console of a Slack deployment, in headless Chromium: the link comes
 * by DM from a signed `/kudos admin console`, works once, for ten minutes, for admins and HR.
 */
describe('console sign-in from a Slack DM, in Chromium', () => {
  const browser = useBrowser();
  let slack: SlackConsole;

  beforeAll(async () => {
    // Ada is named by PLAUDIT_INITIAL_ADMINS, so she is the admin; Cara is made HR; Ben is a plain member.
    slack = await SlackConsole.start({ ada: 'UADA', ben: 'UBEN', cara: 'UCARA' });
    expect(await slack.say('ada', `admin roles ${slack.mention('cara')} +hr`)).toContain('Cara');
  });
  afterAll(async () => {
    await slack?.close();
  });

  /** Opens a link and clicks Sign in; resolves with the status of the answer to the click. */
  async function clickSignIn(link: string, context = browser.context) {
    const page = await browser.newPage(context);
    await page.goto(link);
    const [answer] = await Promise.all([
      page.waitForResponse(
        (response) =>
          response.url() === `${slack.url}/console/sign-in` &&
          response.request().method() === 'POST',
      ),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await page.waitForLoadState('load');
    return { page, status: answer.status() };
  }

  it('signs an admin in with the link Plaudit sent by DM, into a session cookie scripts cannot read', async () => {
    const link = await slack.linkFor('ada');
    expect(link.startsWith(`${slack.url}/console/sign-in?token=`)).toBe(true);
    // The link went to Ada's DM alone, never to the channel the command came from.
    const channelPosts = slack.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel !== 'UADA');
    expect(JSON.stringify(channelPosts)).not.toContain('token=');

    const page = await browser.newPage();
    await page.goto(link);
    await expectRendered(page, 'sign-in');
    // Opening the link (as a link previewer would) uses nothing: the click signs in.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${slack.url}/console`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Overview');
    expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain('Ada');
    await expectRendered(page, 'overview');

    const [cookie] = (await browser.context.cookies()).filter(
      (candidate) => candidate.name === 'plaudit_session',
    );
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
    expect(await page.evaluate<string>('document.cookie')).not.toContain('plaudit_session');
  });

  it('signs HR in too, and refuses a plain member a link: no DM is sent', async () => {
    const { page } = await clickSignIn(await slack.linkFor('cara'));
    expect(page.url()).toBe(`${slack.url}/console`);
    expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain('Cara');

    const before = slack.fake.callsTo('chat.postMessage').length;
    expect(await slack.say('ben', 'admin console')).toBe(
      'Only admins and HR can use the web console; ask an admin if you need it.',
    );
    expect(slack.fake.callsTo('chat.postMessage')).toHaveLength(before);
    expect(slack.directMessages('ben')).toEqual([]);
  });

  it('refuses a link that was used already, in another browser', async () => {
    const link = await slack.linkFor('ada');
    const first = await clickSignIn(link);
    expect(first.page.url()).toBe(`${slack.url}/console`);

    const elsewhere = await browser.newContext();
    const again = await clickSignIn(link, elsewhere);
    expect(again.status).toBe(403);
    expect(await again.page.locator('main').innerText()).toContain(
      'This sign-in link has been used already; each link works once.',
    );
    expect(await elsewhere.cookies()).toEqual([]);
    // The other browser is not signed in: the console sends it to the sign-in page.
    await again.page.goto(`${slack.url}/console`);
    expect(again.page.url()).toBe(`${slack.url}/console/sign-in`);
  });

  it('refuses a link after its ten minutes', async () => {
    const link = await slack.linkFor('ada');
    const token = new URL(link).searchParams.get('token') as string;
    const expired = await slack.plaudit.db
      .updateTable('console_sign_in_links')
      // The database's clock decides expiry, so the past is read from it too.
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    expect(expired.numUpdatedRows).toBe(1n);

    const { page, status } = await clickSignIn(link);
    expect(status).toBe(403);
    expect(await page.locator('main').innerText()).toContain(
      'This sign-in link has expired; links work for 10 minutes.',
    );
    expect(await browser.context.cookies()).toEqual([]);
  });

  it('refuses a link made up, or one whose member lost the HR role before using it', async () => {
    const forged = await clickSignIn(`${slack.url}/console/sign-in?token=made-up`);
    expect(forged.status).toBe(403);
    expect(await forged.page.locator('main').innerText()).toContain(
      'This sign-in link is not one Plaudit sent.',
    );

    const link = await slack.linkFor('cara');
    expect(await slack.say('ada', `admin roles ${slack.mention('cara')} -hr`)).toContain('Cara');
    try {
      const context = await browser.newContext();
      const { page, status } = await clickSignIn(link, context);
      expect(status).toBe(403);
      expect(await context.cookies()).toEqual([]);
      expect(await page.locator('main').innerText()).toContain(
        'Only admins and HR can use the console; ask an admin if you need it.',
      );
      await page.goto(`${slack.url}/console`);
      expect(page.url()).toBe(`${slack.url}/console/sign-in`);
    } finally {
      await slack.say('ada', `admin roles ${slack.mention('cara')} +hr`);
    }
  });

  it('ends the console at once for a signed-in member whose role is removed', async () => {
    const page = await browser.newPage();
    await slack.signIn(page, 'cara');
    expect(await slack.say('ada', `admin roles ${slack.mention('cara')} -hr`)).toContain('Cara');
    try {
      const answer = await page.goto(`${slack.url}/console`);
      expect(answer?.status()).toBe(403);
      expect(await page.locator('main').innerText()).toContain(
        'Only admins and HR can use the console',
      );
    } finally {
      await slack.say('ada', `admin roles ${slack.mention('cara')} +hr`);
    }
  });
});

describe('console forms are refused without the token or from another site', () => {
  const browser = useBrowser();
  let slack: SlackConsole;

  beforeAll(async () => {
    slack = await SlackConsole.start({ ana: 'UANA' });
  });
  afterAll(async () => {
    await slack?.close();
  });

  /** Whether the browser's session still opens the overview. */
  async function stillSignedIn(): Promise<boolean> {
    const page = await browser.newPage();
    await page.goto(`${slack.url}/console`);
    const signedIn = page.url() === `${slack.url}/console`;
    await page.close();
    return signedIn;
  }

  it('refuses a form whose CSRF token was taken out, with 403, and changes nothing', async () => {
    const page = await browser.newPage();
    await slack.signIn(page, 'ana');
    const form = page.locator('form[action="/console/sign-out"]');
    await form.locator('input[name="_csrf"]').evaluate((input) => input.remove());
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST'),
      form.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(answer.status()).toBe(403);
    await page.waitForLoadState('load');
    expect(await page.locator('main').innerText()).toContain(
      'This form has expired or did not come from the console; reload the page and try again. Nothing changed.',
    );
    expect(await stillSignedIn()).toBe(true);

    // The same form with its token signs out: the refusal was the token's.
    await page.goto(`${slack.url}/console`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('main').innerText()).toContain('You are signed out.');
    expect(await stillSignedIn()).toBe(false);
  });

  it('refuses a form posted with the right token from another origin, and changes nothing', async () => {
    const page = await browser.newPage();
    await slack.signIn(page, 'ana');
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    expect(token).not.toBe('');

    // With the session cookie and the token, but the Origin of another site.
    const crossOrigin = await browser.context.request.post(`${slack.url}/console/sign-out`, {
      form: { _csrf: token },
      headers: { origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    expect(crossOrigin.status()).toBe(403);
    expect(await crossOrigin.text()).toContain(
      'This form was sent from another site; nothing changed.',
    );
    expect(await stillSignedIn()).toBe(true);

    // A page on another site that posts the console's form, token and all, in the browser.
    const evil = await browser.newPage();
    await evil.route('http://evil.example/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Win a prize</title><form method="post" action="${slack.url}/console/sign-out"><input type="hidden" name="_csrf" value="${token}"><button>Claim</button></form>`,
      }),
    );
    await evil.goto('http://evil.example/prize');
    const [answer] = await Promise.all([
      evil.waitForResponse((response) => response.url() === `${slack.url}/console/sign-out`),
      evil.getByRole('button', { name: 'Claim' }).click(),
    ]);
    expect([401, 403]).toContain(answer.status());
    expect(await stillSignedIn()).toBe(true);
  });
});
