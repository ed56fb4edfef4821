import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import { monthOf } from '../../../src/rewards/billing.ts';
import { changeRewardSettings } from '../../../src/rewards/reward-settings.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { key } from '../../support/ledger-fixture.ts';
import { addReward, redeemIn } from '../../support/rewards-fixture.ts';

describe('console overview: this period at a glance', () => {
  const { orgs, open } = consoleOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Li: {},
    Bo: {},
    Robo: { isBot: true },
  });

  const give = async (f: AdminFixture, from: string, text: string) => {
    const reply = await f.command(from, text);
    expect(reply.outcome, reply.text).toBe('ok');
    return reply.events[0]?.recognitionId as number;
  };
  const reward = addReward;
  const redeem = redeemIn;
  const fulfil = async (f: AdminFixture, id: number) =>
    expect((await f.command('Hal', `hr fulfil ${id}`)).outcome).toBe('ok');
  const thisMonth = async (f: AdminFixture) => {
    const { settings, now } = await f.services.settings.load(f.organizationId);
    return monthOf(now, settings.timezone);
  };
  const HELD = 'held money is for redemptions not yet fulfilled';
  /** The cards' figures and labels, in order, as text. */
  const cards = (html: string) =>
    [...html.matchAll(/<li><span class="figure">([^<]*)<\/span><span class="label">([^<]*)</g)].map(
      (m) => `${m[1]} | ${m[2]}`,
    );

  it('counts participation and points of kept kudos, not reversed ones or bots', async () => {
    const f = await orgs.organization();
    await give(f, 'Bo', '@Li 10 for the launch');
    await give(f, 'Li', '@Bo 5 for the review');
    const reversed = await give(f, 'Bo', '@Hal 7 for the party');
    const undone = await reverseRecognition(f.services, await f.actor('Ada'), {
      recognitionId: reversed,
      reason: 'given by mistake',
      idempotencyKey: key('rev'),
    });
    expect(undone.ok).toBe(true);
    const { client: ada, harness } = await open('Ada', { fixture: f });
    const page = await ada.get('/console');
    expect(page.status).toBe(200);
    const { settings, now } = await f.services.settings.load(f.organizationId);
    const month = monthOf(now, settings.timezone);
    expect(cards(page.html)).toEqual([
      '50% | took part: 2 of 4 people gave or received kudos',
      '15 | points given in 2 recognitions',
      '0 | redemptions asked for; 0 waiting for HR',
      '0.15 EUR | liability: 15 points given and not yet redeemed',
      `0.00 EUR charged + 0.00 EUR held | spent in ${month}; held money is for redemptions not yet fulfilled; no monthly budget is set`,
    ]);
    // An admin without HR gets no links to HR's pages.
    expect(page.html).not.toContain('href="/console/redemptions');
    const hal = await harness.signIn('Hal');
    expect((await hal.get('/console')).html).toContain('href="/console/redemptions?status=held"');
  });

  it('counts a held redemption as asked for, waiting for HR, and held against the budget', async () => {
    const f = await orgs.organization();
    const book = await reward(f, 'Book', 300, 200);
    await f.earn('Li', 500);
    await redeem(f, 'Li', book);
    const { client: hal } = await open('Hal', { fixture: f });
    expect(cards((await hal.get('/console')).html)).toEqual([
      '0% | took part: 0 of 4 people gave or received kudos',
      '0 | points given in 0 recognitions',
      '1 | redemptions asked for; 1 waiting for HR',
      '5.00 EUR | liability: 500 points given and not yet redeemed',
      `0.00 EUR charged + 2.00 EUR held | spent in ${await thisMonth(f)}; ${HELD}; no monthly budget is set`,
    ]);
  });

  it('shows the monthly budget used as the budget check counts it: this month’s charges and what is held', async () => {
    const f = await orgs.organization();
    const coffee = await reward(f, 'Coffee', 100, 750);
    const book = await reward(f, 'Book', 100, 200);
    const mug = await reward(f, 'Mug', 10, 50);
    await f.earn('Li', 1000);
    await fulfil(f, await redeem(f, 'Li', coffee));
    // A charge of last year is not this month's.
    const old = await redeem(f, 'Li', coffee);
    await fulfil(f, old);
    await f.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update billing_charges set charged_at = charged_at - interval '1 year'
        where redemption_id = ${old}`.execute(trx);
    });
    await redeem(f, 'Li', book);
    const set = await changeRewardSettings(f.db, f.organizationId, { monthlyBudgetMinor: 1000 });
    expect(set.ok).toBe(true);
    const { client: hal } = await open('Hal', { fixture: f });
    const month = await thisMonth(f);
    const budgetCard = async () => cards((await hal.get('/console')).html)[4];
    expect(await budgetCard()).toBe(
      `7.50 EUR charged + 2.00 EUR held of 10.00 EUR (95%) | monthly budget used in ${month}; ${HELD}`,
    );
    // What the card says is left is what the check lets through: not a book, but a mug.
    const refused = await f.command('Li', `redeem #${book}`);
    expect(refused.text).toContain("This month's rewards budget has 0.50 EUR left");
    await redeem(f, 'Li', mug);
    expect(await budgetCard()).toBe(
      `7.50 EUR charged + 2.50 EUR held of 10.00 EUR (100%) | monthly budget used in ${month}; ${HELD}`,
    );
  });

  it('counts nothing of another organization’s kudos, redemptions or charges', async () => {
    const f = await orgs.organization();
    const other = await orgs.organization();
    await give(f, 'Bo', '@Li 10 for the launch');
    for (const text of ['@Li 40 for the fair', '@Bo 30 for the move', '@Hal 20 for the party']) {
      await give(other, 'Ada', text);
    }
    const theirs = await reward(other, 'Bike', 20, 9900);
    await other.earn('Bo', 1000);
    await fulfil(other, await redeem(other, 'Bo', theirs));
    await redeem(other, 'Bo', theirs);
    await changeRewardSettings(other.db, other.organizationId, { monthlyBudgetMinor: 100_000 });
    const { client: ada } = await open('Ada', { fixture: f });
    expect(cards((await ada.get('/console')).html)).toEqual([
      '50% | took part: 2 of 4 people gave or received kudos',
      '10 | points given in 1 recognition',
      '0 | redemptions asked for; 0 waiting for HR',
      '0.10 EUR | liability: 10 points given and not yet redeemed',
      `0.00 EUR charged + 0.00 EUR held | spent in ${await thisMonth(f)}; ${HELD}; no monthly budget is set`,
    ]);
  });
});
