import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { expectRendered, useBrowser } from '../support/browser.ts';
import { migratedDataFolder } from '../support/databases.ts';

/**
 * Local mode in Chromium: no chat platform, so the console signs the demo admin in
 * directly, and an employee redeems a reward from the local console at /console/try.
 */
describe('the web console in local mode, in Chromium', () => {
  const browser = useBrowser();
  let folder: string;
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-console-'));
    await migratedDataFolder(path.join(folder, 'data'));
    plaudit = await startPlaudit(
      parseConfig({ PORT: '0', PLAUDIT_DATA_DIR: path.join(folder, 'data'), LOG_LEVEL: 'silent' }),
      { print: () => {} },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Sends a command on the local console as a demo member; resolves with the newest reply. */
  async function run(page: Page, member: string, text: string): Promise<string> {
    const replies = page.locator('#log li:not(.announcement)');
    const before = await replies.count();
    await page.getByLabel('Member').selectOption(member);
    await page.getByLabel('Command').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => replies.count()).toBe(before + 1);
    return replies.first().innerText();
  }

  it('signs the demo admin in without a link, and an employee redeems on /console/try', async () => {
    const page = await browser.newPage();
    await page.goto(`${plaudit.url}/console`);
    expect(page.url()).toBe(`${plaudit.url}/console`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Overview');
    expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain(
      'Ana Silva',
    );
    await expectRendered(page, 'local-overview');

    // José is the demo HR: he adds a reward.
    await page.goto(`${plaudit.url}/console/sign-in?as=jose`);
    await page.goto(`${plaudit.url}/console/catalog`);
    await page.getByLabel('Name').fill('Sticker pack');
    await page.getByLabel('Cost in points').fill('10');
    await page.getByLabel(/^Price in EUR/).fill('2');
    await page.getByRole('button', { name: 'Add the reward' }).click();
    await page.waitForURL(`${plaudit.url}/console/catalog`);
    expect(await page.locator('main .notice').innerText()).toBe(
      'Added “Sticker pack” to the catalog.',
    );

    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Try commands' })
      .click();
    await page.waitForURL(`${plaudit.url}/console/try`);
    await expect.poll(() => page.getByLabel('Member').locator('option').count()).toBeGreaterThan(1);
    await expectRendered(page, 'try');

    expect(await run(page, 'ana', '/kudos @li 15 for the sticker idea #teamwork')).toContain(
      'You gave 15 points to Li Wei',
    );
    const catalog = await run(page, 'li', '/kudos rewards');
    expect(catalog).toContain('Sticker pack: 10 points');
    await page
      .locator('#log li')
      .first()
      .getByRole('button', { name: 'Redeem Sticker pack' })
      .click();
    await expect
      .poll(() => page.locator('#log li').first().innerText())
      .toMatch(/You redeemed “Sticker pack” \(redemption #\d+\)/);
    const redemption = /redemption #(\d+)/.exec(await page.locator('#log li').first().innerText());
    const id = Number(redemption?.[1]);

    // José fulfils it; the charge shows in billing.
    await page.goto(`${plaudit.url}/console/redemptions`);
    await page.getByRole('button', { name: `Fulfil #${id}` }).click();
    await page.waitForURL(/\/console\/redemptions/);
    expect(await page.locator('main .notice').innerText()).toBe(
      `Redemption #${id} (“Sticker pack”) is fulfilled; 2.00 EUR is billed.`,
    );
    await page.goto(`${plaudit.url}/console/billing`);
    expect(
      await page
        .getByRole('row')
        .filter({ hasText: `#${id}` })
        .innerText(),
    ).toMatch(/Sticker pack\s+Li Wei\s+.*2\.00 EUR/);
    expect(await run(await openTry(), 'li', '/kudos balance')).toContain(
      'You have earned 5 points to spend',
    );
  });

  async function openTry(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${plaudit.url}/console/try`);
    await expect.poll(() => page.getByLabel('Member').locator('option').count()).toBeGreaterThan(1);
    return page;
  }
});
