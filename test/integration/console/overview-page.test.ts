import { afterEach, describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import { monthOf } from '../../../src/rewards/billing.ts';
import { type AdminFixture, adminOrganizations } from '../../support/admin-fixture.ts';
import { type ConsoleHarness, startConsole } from '../../support/console-client.ts';
import { key } from '../../support/ledger-fixture.ts';

describe('console overview: this period at a glance', () => {
  const orgs = adminOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Li: {},
    Bo: {},
    Robo: { isBot: true },
  });
  let harness: ConsoleHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const give = async (f: AdminFixture, from: string, text: string) => {
    const reply = await f.command(from, text);
    expect(reply.outcome, reply.text).toBe('ok');
    return reply.events[0]?.recognitionId as number;
  };
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
    harness = await startConsole(f);
    const ada = await harness.signIn('Ada');
    const page = await ada.get('/console');
    expect(page.status).toBe(200);
    const { settings, now } = await f.services.settings.load(f.organizationId);
    const month = monthOf(now, settings.timezone);
    expect(cards(page.html)).toEqual([
      '50% | took part: 2 of 4 people gave or received kudos',
      '15 | points given in 2 kudos',
      '0 | redemptions asked for; 0 waiting for HR',
      '0.15 EUR | liability: 15 points held and not yet redeemed',
      `0.00 EUR | charged in ${month} (no monthly budget set)`,
    ]);
    // An admin without HR gets no links to HR's pages.
    expect(page.html).not.toContain('href="/console/redemptions');
    const hal = await harness.signIn('Hal');
    expect((await hal.get('/console')).html).toContain('href="/console/redemptions?status=held"');
  });
});
