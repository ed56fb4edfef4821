import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRendered, useBrowser } from '../support/browser.ts';
import { parseCsv } from '../support/csv.ts';
import { pointsOf, redemptionsOf } from '../support/member-rewards.ts';
import { SlackConsole } from '../support/slack-console.ts';
import { until } from '../support/until.ts';

/**
 * The web console of a Slack deployment, in headless Chromium, against a real Plaudit on
 * Postgres whose Slack app talks to the recording fake Slack API. An admin changes who may
 * give, HR adds a reward, an employee redeems it in chat, HR fulfils it, and the charge
 * shows in billing and its CSV. The tests run in order and build on each other.
 */
describe('the web console of a Slack deployment, in Chromium', () => {
  const browser = useBrowser();
  let slack: SlackConsole;
  /** The reward HR adds, and the employee's redemption of it. */
  let rewardId: number;
  let redemptionId: number;

  beforeAll(async () => {
    // Ada is named by PLAUDIT_INITIAL_ADMINS, so she is the admin; Hana is made HR; Ben and Cara are employees.
    slack = await SlackConsole.start({ ada: 'UADA', hana: 'UHANA', ben: 'UBEN', cara: 'UCARA' });
    expect(await slack.say('ada', `admin roles ${slack.mention('hana')} +hr`)).toContain('Hana');
  });
  afterAll(async () => {
    await slack?.close();
  });

  /** A page signed in as the person, through the link Plaudit sent them by DM. */
  async function signedIn(person: string): Promise<Page> {
    const page = await browser.newPage();
    await slack.signIn(page, person);
    return page;
  }

  /** The one-shot notice a form left on the page it redirected to. */
  const notice = (page: Page) => page.locator('main .notice').innerText();

  it('lets the admin change who may give on Permissions, and chat follows the new rule', async () => {
    const page = await signedIn('ada');
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Permissions' })
      .click();
    await page.waitForURL(`${slack.url}/console/permissions`);
    await expectRendered(page, 'permissions');
    const giving = page.getByRole('region', { name: 'Giving' });
    expect(await giving.locator('.rule-text').innerText()).toBe('Everyone may give kudos.');

    await giving.getByLabel('Only the roles, groups and people picked below').check();
    await giving.getByLabel('HR', { exact: true }).check();
    await giving.getByRole('button', { name: 'Save who may give' }).click();
    await page.waitForURL(`${slack.url}/console/permissions`);
    expect(await notice(page)).toBe('Saved. Only HR may give kudos.');
    expect(await giving.locator('.rule-text').innerText()).toBe('Only HR may give kudos.');
    // The notice shows once: a reload shows the page without it.
    await page.reload();
    expect(await page.locator('main .notice').count()).toBe(0);

    // Chat enforces what the console saved: Ben may not give, Hana (HR) may.
    const refused = await slack.say('ben', `${slack.mention('cara')} 5 for the review`);
    expect(refused).toBe(
      'Giving kudos is limited to some people here, and you are not among them; ask Ada (admin) if that seems wrong.',
    );
    expect(await pointsOf(slack.plaudit.db, await slack.member('cara'))).toEqual({
      available: 0,
      held: 0,
    });
    expect(await slack.say('hana', `${slack.mention('ben')} 60 for the onboarding guide`)).toMatch(
      /^You gave 60 points to Ben for the onboarding guide/,
    );
    const audit = await slack.plaudit.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'via'])
      .where('organization_id', '=', slack.organizationId)
      .where('action', '=', 'rule.set')
      .execute();
    expect(audit).toContainEqual({ action: 'rule.set', outcome: 'done', via: 'console' });
  });

  it('keeps the catalog from an admin who is not HR, and shows the admin the admin pages', async () => {
    const page = await signedIn('ada');
    const nav = await page.getByRole('navigation', { name: 'Console' }).innerText();
    expect(nav).toContain('Settings');
    expect(nav).not.toContain('Catalog');
    const answer = await page.goto(`${slack.url}/console/catalog`);
    expect(answer?.status()).toBe(403);
    expect(await page.locator('main').innerText()).toContain('Only HR can open this page');

    // A new tab: the 403 above logged an error in this one, as Chromium does for any 4xx page.
    const settings = await browser.newPage();
    await settings.goto(`${slack.url}/console/settings`);
    await expectRendered(settings, 'settings');
    expect(await settings.getByRole('button', { name: 'Save settings' }).count()).toBe(1);
  });

  it('lets HR add a reward on Catalog', async () => {
    const page = await signedIn('hana');
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Catalog' })
      .click();
    await page.waitForURL(`${slack.url}/console/catalog`);
    await expectRendered(page, 'catalog');

    await page.getByLabel('Name').fill('Book voucher');
    await page.getByLabel('Description').fill('Any book from the shop down the road.');
    await page.getByLabel('Cost in points').fill('50');
    await page.getByLabel(/^Price in USD/).fill('7.50');
    await page.getByLabel(/^Stock/).fill('5');
    await page.getByRole('button', { name: 'Add the reward' }).click();
    await page.waitForURL(`${slack.url}/console/catalog`);
    expect(await notice(page)).toBe('Added “Book voucher” to the catalog.');
    const row = page.getByRole('row').filter({ hasText: 'Book voucher' });
    expect(await row.innerText()).toMatch(/Book voucher\s+50\s+7\.50 USD\s+5\s+Active/);

    await row.getByRole('link', { name: 'Book voucher' }).click();
    await page.waitForURL(/\/console\/catalog\/\d+$/);
    rewardId = Number(/(\d+)$/.exec(page.url())?.[1]);
    await expectRendered(page, 'catalog-item');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Book voucher');
  });

  it('lets an employee redeem the new reward with /kudos redeem', async () => {
    const ben = await slack.member('ben');
    expect(await pointsOf(slack.plaudit.db, ben)).toEqual({ available: 60, held: 0 });
    expect(await slack.say('ben', 'rewards')).toContain(`#${rewardId} Book voucher: 50 points`);
    const redeemed = await slack.say('ben', `redeem #${rewardId}`);
    expect(redeemed).toMatch(/^You redeemed “Book voucher” \(redemption #\d+\)\./);
    redemptionId = Number(/redemption #(\d+)/.exec(redeemed)?.[1]);
    expect(await pointsOf(slack.plaudit.db, ben)).toEqual({ available: 10, held: 50 });
  });

  it('lets HR fulfil it on Redemptions; the employee is told by DM', async () => {
    const page = await signedIn('hana');
    await page.goto(`${slack.url}/console/redemptions`);
    await expectRendered(page, 'redemptions');
    const row = page.getByRole('row').filter({ hasText: 'Book voucher' });
    expect(await row.innerText()).toMatch(/Book voucher\s+Ben\s+50\s+7\.50 USD/);
    expect(await row.innerText()).toContain('Waiting for HR');

    await row.getByRole('button', { name: `Fulfil #${redemptionId}` }).click();
    await page.waitForURL(/\/console\/redemptions/);
    expect(await notice(page)).toBe(
      `Redemption #${redemptionId} (“Book voucher”) is fulfilled; 7.50 USD is billed.`,
    );
    // The queue shows those waiting for HR: nothing now. The filter finds it fulfilled.
    expect(await page.getByRole('main').innerText()).toContain(
      'No redemption is waiting for a decision.',
    );
    await page.getByLabel('Status').selectOption('fulfilled');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=fulfilled/);
    expect(await page.getByRole('row').filter({ hasText: 'Book voucher' }).innerText()).toContain(
      'Fulfilled by Hana',
    );
    await expectRendered(page, 'redemptions-fulfilled');

    const ben = await slack.member('ben');
    expect(await redemptionsOf(slack.plaudit.db, ben)).toEqual([
      { id: redemptionId, status: 'fulfilled' },
    ]);
    expect(await pointsOf(slack.plaudit.db, ben)).toEqual({ available: 10, held: 0 });
    await until(async () => {
      await slack.plaudit.settled();
      return slack.fake
        .callsTo('chat.postMessage')
        .some(
          (call) =>
            call.body.channel === 'DUBEN' && String(call.body.text).includes('Book voucher'),
        );
    });
  });

  it('shows the charge on Billing, and in the statement CSV it downloads', async () => {
    const page = await signedIn('hana');
    await page.goto(`${slack.url}/console/billing`);
    await expectRendered(page, 'billing');
    const charge = page.getByRole('row').filter({ hasText: `#${redemptionId}` });
    expect(await charge.innerText()).toMatch(/Book voucher\s+Ben\s+.*7\.50 USD/);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /^Download the \d{4}-\d{2} statement as CSV$/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^plaudit-statement-\d{4}-\d{2}\.csv$/);
    const csv = parseCsv(await readFile(await download.path(), 'utf8'));
    const [header, ...rows] = csv;
    expect(header?.slice(0, 3)).toEqual(['charge_id', 'charged_at', 'redemption_id']);
    const at = (name: string) => header?.indexOf(name) ?? -1;
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect({
      redemption: row?.[at('redemption_id')],
      item: row?.[at('item')],
      member: row?.[at('member')],
      amount: row?.[at('amount')],
      currency: row?.[at('currency')],
    }).toEqual({
      redemption: String(redemptionId),
      item: 'Book voucher',
      member: 'Ben',
      amount: '7.50',
      currency: 'USD',
    });
  });

  it('renders the overview, people, a person, insights and the audit log with what happened', async () => {
    const page = await signedIn('ada');
    await expectRendered(page, 'overview-after');
    // Hana's 60 to Ben is this period's only recognition.
    expect(await page.locator('.cards li').nth(1).textContent()).toBe(
      '60points given in 1 recognition',
    );

    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'People' })
      .click();
    await page.waitForURL(`${slack.url}/console/people`);
    await expectRendered(page, 'people');
    await page.getByLabel('Search by name or email').fill('ben');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/console\/people\?q=ben/);
    const rows = page.getByRole('row').filter({ hasText: slack.email('ben') });
    expect(await rows.count()).toBe(1);
    await rows.getByRole('link', { name: 'Ben' }).click();
    await page.waitForURL(/\/console\/people\/\d+$/);
    await expectRendered(page, 'person');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Ben');

    await page.goto(`${slack.url}/console/insights`);
    await expectRendered(page, 'insights');

    await page.goto(`${slack.url}/console/audit`);
    await expectRendered(page, 'audit');
    const ruleSet = page.getByRole('row').filter({ hasText: 'rule.set' });
    expect(await ruleSet.innerText()).toMatch(/Ada\s+via console\s+rule\.set\s+rule:give\s+Done/);
    await page.getByLabel('Action').selectOption('reward.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=reward\.create/);
    const entries = await page.locator('main tbody tr').allInnerTexts();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/Hana\s+via console\s+reward\.create/);
  });

  it('fits every page in a phone’s width', async () => {
    const pages: Record<string, readonly string[]> = {
      ada: ['', '/people', '/permissions', '/settings', '/insights', '/audit'],
      hana: ['/catalog', `/catalog/${rewardId}`, '/redemptions', '/billing'],
    };
    for (const [person, paths] of Object.entries(pages)) {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await browser.newPage(phone);
      await slack.signIn(page, person);
      for (const path of paths) {
        await page.goto(`${slack.url}/console${path}`);
        const name = `phone${path.replaceAll('/', '-') || '-overview'}`;
        await expectRendered(page, name);
        const { scrolled, wide } = await page.evaluate<{ scrolled: number; wide: number }>(
          '({ scrolled: document.documentElement.scrollWidth, wide: window.innerWidth })',
        );
        expect(scrolled, `${name}: page width`).toBeLessThanOrEqual(wide);
      }
    }
  });

  it('refuses a console form without its CSRF token, and the rule stays as it was', async () => {
    const page = await signedIn('ada');
    await page.goto(`${slack.url}/console/permissions`);
    const giving = page.getByRole('region', { name: 'Giving' });
    const before = await giving.locator('.rule-text').innerText();
    await giving.locator('input[name="_csrf"]').evaluate((input) => input.remove());
    await giving.getByLabel('Everyone', { exact: true }).check();
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST'),
      giving.getByRole('button', { name: 'Save who may give' }).click(),
    ]);
    expect(answer.status()).toBe(403);
    await page.waitForLoadState('load');
    expect(await page.locator('main').innerText()).toContain('Nothing changed.');
    await page.goto(`${slack.url}/console/permissions`);
    expect(
      await page.getByRole('region', { name: 'Giving' }).locator('.rule-text').innerText(),
    ).toBe(before);
    expect(before).not.toBe('Everyone may give kudos.');
  });
});
