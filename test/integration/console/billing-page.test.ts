import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STATEMENT_PAGE_CHARGES } from '../../../src/console/pages/billing-page.ts';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import { RecognitionSettingsCache } from '../../../src/recognition/settings-cache.ts';
import { monthlyStatement, monthOf, statementSummary } from '../../../src/rewards/billing.ts';
import { changeRewardSettings } from '../../../src/rewards/reward-settings.ts';
import { STATEMENT_CSV_HEADER, statementCsv } from '../../../src/rewards/statement-csv.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { ConsoleClient, type ConsolePage, startConsole } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { parseCsv } from '../../support/csv.ts';
import { addReward, redeemIn } from '../../support/rewards-fixture.ts';

const text = (fragment: string) =>
  fragment
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The rows of the table after a caption or heading, as text cells. */
function tableAfter(page: ConsolePage, marker: string): string[][] {
  const start = page.html.indexOf(marker);
  if (start < 0) throw new Error(`no ${marker}`);
  const table = page.html.slice(start, page.html.indexOf('</table>', start));
  const body = table.slice(table.indexOf('<tbody>'));
  return body
    .split('<tr>')
    .slice(1)
    .map((row) => [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => text(m[1] as string)));
}

/** The figure and label of each card. */
function cards(page: ConsolePage): string[] {
  const list = /<ul class="cards">([\s\S]*?)<\/ul>/.exec(page.html)?.[1] ?? '';
  return list
    .split('<li>')
    .slice(1)
    .map((card) => text(card));
}

describe('console billing page', () => {
  const consoles = consoleOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Ana: {},
    Bo: {},
  });

  const reward = addReward;
  const redeem = redeemIn;
  const fulfil = async (f: AdminFixture, id: number) =>
    expect((await f.command('Hal', `hr fulfil ${id}`)).outcome).toBe('ok');
  /** Moves a charge to another instant (charges are append-only: triggers off, for this transaction). */
  const chargedAt = (f: AdminFixture, redemptionId: number, instant: string) =>
    f.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update billing_charges set charged_at = ${instant}::timestamptz
        where redemption_id = ${redemptionId}`.execute(trx);
    });

  /**
   * Ana (in Design) redeems two coffees, Bo (in no group) a book; all three fulfilled, and
   * Bo's coffee still held. 2,000 points were given and 500 redeemed.
   */
  const open = async (as = 'Hal') => {
    const f = await consoles.orgs.organization();
    const design = await createGroup(f.db, f.organizationId, 'Design');
    if (!design.ok) throw new Error(design.message);
    await addGroupMembers(f.db, design.value, [f.members.Ana?.id as number]);
    const coffee = await reward(f, 'Coffee', 100, 500);
    const book = await reward(f, 'Book', 300, 2000);
    await f.earn('Ana', 1000);
    await f.earn('Bo', 1000);
    const fulfilled = [
      await redeem(f, 'Ana', coffee),
      await redeem(f, 'Bo', book),
      await redeem(f, 'Ana', coffee),
    ];
    for (const id of fulfilled) await fulfil(f, id);
    const held = await redeem(f, 'Bo', coffee);
    const { client } = await consoles.open(as, { fixture: f });
    return { f, client, fulfilled, held };
  };

  it('shows this month’s statement by default: lines, totals, liability and budget used', async () => {
    const { f, client, fulfilled } = await open();
    await changeRewardSettings(f.db, f.organizationId, { monthlyBudgetMinor: 10_000 });
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const page = await client.get('/console/billing');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Billing</h1>');
    expect(page.html).toContain(`name="month" value="${month}"`);
    expect(page.html).toContain(`<h2>Statement for ${month}</h2>`);
    expect(cards(page)).toEqual([
      `30.00 EUR billed in ${month} for 3 redemptions`,
      '15.00 EUR liability: 1,500 points given and not yet redeemed',
      `30.00 EUR charged + 5.00 EUR held of 100.00 EUR (35%) monthly budget used in ${month}; held money is for redemptions not yet fulfilled`,
    ]);
    expect(tableAfter(page, 'By reward</caption>')).toEqual([
      ['Book', '1', '20.00 EUR'],
      ['Coffee', '2', '10.00 EUR'],
    ]);
    expect(tableAfter(page, 'By group')).toEqual([
      ['(no group)', '1', '20.00 EUR'],
      ['Design', '2', '10.00 EUR'],
    ]);
    const charges = tableAfter(page, '<h2>Charges</h2>');
    expect(charges.map((row) => row.slice(1))).toEqual([
      [`#${fulfilled[0]}`, 'Coffee', 'Ana', 'Design', '5.00 EUR'],
      [`#${fulfilled[1]}`, 'Book', 'Bo', 'none', '20.00 EUR'],
      [`#${fulfilled[2]}`, 'Coffee', 'Ana', 'Design', '5.00 EUR'],
    ]);
    expect(page.html).toContain('<strong>Total: 30.00 EUR</strong> for 3 redemptions.');
    expect(page.html).toContain(`href="/console/billing/${month}.csv"`);
  });

  it('shows another month when picked, while the budget stays this month’s', async () => {
    const { f, client, fulfilled } = await open();
    await chargedAt(f, fulfilled[1] as number, '2025-03-31T23:30:00Z'); // 1 April in Lisbon
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const april = await client.get('/console/billing?month=2025-04');
    expect(april.html).toContain('name="month" value="2025-04"');
    expect(cards(april)).toEqual([
      '20.00 EUR billed in 2025-04 for 1 redemption',
      '15.00 EUR liability: 1,500 points given and not yet redeemed',
      `10.00 EUR charged + 5.00 EUR held spent in ${month}; held money is for redemptions not yet fulfilled; no monthly budget is set`,
    ]);
    expect(tableAfter(april, 'By reward</caption>')).toEqual([['Book', '1', '20.00 EUR']]);
    expect(april.html).toContain('href="/console/billing?month=2025-03">Previous month</a>');
    expect(april.html).toContain('href="/console/billing?month=2025-05">Next month</a>');
    expect(april.html).toContain('href="/console/billing/2025-04.csv"');

    const march = await client.get('/console/billing?month=2025-03');
    expect(cards(march)[0]).toBe('0.00 EUR billed in 2025-03 for 0 redemptions');
    expect(march.html).toContain('<p>Nothing was billed in 2025-03.</p>');
    expect((await client.get('/console/billing?month=2024-12')).html).toContain(
      'href="/console/billing?month=2025-01">Next month</a>',
    );
  });

  it(`lists a month’s charges ${STATEMENT_PAGE_CHARGES} a page, while its totals and lines count them all`, async () => {
    const { f, client, fulfilled } = await open();
    const tea = await reward(f, 'Tea', 10, 100);
    await f.earn('Ana', 10 * STATEMENT_PAGE_CHARGES);
    for (let n = fulfilled.length; n <= STATEMENT_PAGE_CHARGES; n++) {
      const id = await redeem(f, 'Ana', tea);
      await fulfil(f, id);
      fulfilled.push(id);
    }
    const count = STATEMENT_PAGE_CHARGES + 1;
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const statement = await monthlyStatement(f.db, f.organizationId, month);
    expect(statement.count).toBe(count);
    const { charges, ...summary } = statement;
    expect(await statementSummary(f.db, f.organizationId, month)).toEqual(summary);

    const first = await client.get('/console/billing');
    expect(cards(first)[0]).toBe(
      `${(3000 + 100 * (count - 3)) / 100}.00 EUR billed in ${month} for ${count} redemptions`,
    );
    expect(tableAfter(first, 'By reward</caption>')).toEqual(
      summary.byItem.map((line) => [line.name, String(line.count), expect.stringMatching(/ EUR$/)]),
    );
    const firstRows = tableAfter(first, '<h2>Charges</h2>');
    expect(firstRows.map((row) => row[1])).toEqual(
      charges.slice(0, STATEMENT_PAGE_CHARGES).map((charge) => `#${charge.redemptionId}`),
    );
    expect(first.html).toContain(
      `Charges 1–${STATEMENT_PAGE_CHARGES} of ${count}; the CSV lists them all.`,
    );
    expect(first.html).toContain(
      `href="/console/billing?month=${month}&amp;page=2" rel="next">Next page</a>`,
    );

    const second = await client.get(`/console/billing?month=${month}&page=2`);
    expect(tableAfter(second, '<h2>Charges</h2>').map((row) => row[1])).toEqual([
      `#${charges.at(-1)?.redemptionId}`,
    ]);
    expect(second.html).toContain(`Charges ${count}–${count} of ${count}`);
    expect(second.html).toContain(
      `href="/console/billing?month=${month}" rel="prev">Previous page</a>`,
    );
    expect(second.html).not.toContain('rel="next"');
    expect((await client.get(`/console/billing?month=${month}&page=9`)).html).toContain(
      `There are ${count} charges in ${month}; this page is past the last of them.`,
    );
  });

  it('takes the current month, and the budget’s, from the database’s clock', async () => {
    const { f, fulfilled } = await open();
    await chargedAt(f, fulfilled[1] as number, '2025-04-10T09:00:00Z');
    await changeRewardSettings(f.db, f.organizationId, { monthlyBudgetMinor: 10_000 });
    /** The services' clock (the database's, as settings read it) in mid-April 2025. */
    class April extends RecognitionSettingsCache {
      override async load(organizationId: number) {
        const loaded = await super.load(organizationId);
        return { ...loaded, now: new Date('2025-04-15T12:00:00Z') };
      }
    }
    const settings = new April(f.db);
    const inApril = await startConsole({ ...f, services: { ...f.services, settings } });
    try {
      const page = await (await inApril.signIn('Hal')).get('/console/billing');
      expect(page.html).toContain('name="month" value="2025-04"');
      expect(cards(page)).toEqual([
        '20.00 EUR billed in 2025-04 for 1 redemption',
        '15.00 EUR liability: 1,500 points given and not yet redeemed',
        '20.00 EUR charged + 5.00 EUR held of 100.00 EUR (25%) monthly budget used in 2025-04; held money is for redemptions not yet fulfilled',
      ]);
    } finally {
      await inApril.close();
    }
  });

  it('downloads the month’s statement as the API’s CSV, with its filename', async () => {
    const { f, client, fulfilled } = await open();
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const csv = await client.get(`/console/billing/${month}.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="plaudit-statement-${month}.csv"`,
    );
    expect(csv.html).toBe(statementCsv(await monthlyStatement(f.db, f.organizationId, month)));
    const [header, ...rows] = parseCsv(csv.html);
    expect(header).toEqual([...STATEMENT_CSV_HEADER]);
    expect(rows.map((row) => [row[2], row[4], row[6], row[8], row[9], row[10]])).toEqual([
      [String(fulfilled[0]), 'Coffee', 'Ana', 'Design', '5.00', 'EUR'],
      [String(fulfilled[1]), 'Book', 'Bo', '', '20.00', 'EUR'],
      [String(fulfilled[2]), 'Coffee', 'Ana', 'Design', '5.00', 'EUR'],
    ]);

    const empty = await client.get('/console/billing/2020-01.csv');
    expect(parseCsv(empty.html)).toEqual([[...STATEMENT_CSV_HEADER]]);
    // Only for a signed-in session.
    const stranger = await new ConsoleClient(client.url).get(`/console/billing/${month}.csv`);
    expect(stranger.status).toBe(303);
    expect(stranger.location).toBe('/console/sign-in');
    expect(stranger.html).not.toContain('Coffee');
  });

  it('says so when the month is not one, on the page and for the CSV', async () => {
    const { client } = await open();
    for (const month of ['2026-13', 'last%20month', '%3Cscript%3E']) {
      const page = await client.get(`/console/billing?month=${month}`);
      expect(page.status, month).toBe(400);
      expect(page.html).toContain('is not a month; pick one as YYYY-MM, like 2026-11.</p>');
      expect(page.html).not.toContain('<script>');
      expect(page.html).not.toContain('<h2>Statement');
    }
    expect((await client.get('/console/billing?month=2026-13')).html).toContain(
      '<p class="notice refused" role="alert">“2026-13” is not a month; pick one as YYYY-MM, like 2026-11.</p>',
    );
    expect((await client.get('/console/billing?month=%3Cscript%3E')).html).toContain(
      '“&lt;script&gt;” is not a month',
    );
    const csv = await client.get('/console/billing/2026-00.csv');
    expect(csv.status).toBe(400);
    expect(csv.headers.get('content-type')).toMatch(/^text\/html/);
    expect(csv.html).toContain('“2026-00” is not a month; pick one as YYYY-MM, like 2026-11.');
  });

  it('is for HR only: an admin without the role sees neither the page nor the CSV', async () => {
    const { client } = await open('Ada');
    const month = monthOf(new Date(), 'Europe/Lisbon');
    for (const path of ['/console/billing', `/console/billing/${month}.csv`]) {
      const page = await client.get(path);
      expect(page.status, path).toBe(403);
      expect(page.html).toContain('Only HR can open this page; ask an admin if you need it.');
      expect(page.html).not.toContain('Coffee');
    }
  });

  it('escapes names people typed on the page; the CSV defuses formulas', async () => {
    const { f, client, fulfilled } = await open();
    await f.db
      .updateTable('members')
      .set({ display_name: '=HYPERLINK("http://x")<b>' })
      .where('id', '=', f.members.Ana?.id as number)
      .execute();
    await f.db
      .updateTable('reward_items')
      .set({ name: '<svg onload=alert(1)>' })
      .where('name', '=', 'Coffee')
      .where('organization_id', '=', f.organizationId)
      .execute();
    await f.db
      .updateTable('groups')
      .set({ name: '<i>Design</i>' })
      .where('organization_id', '=', f.organizationId)
      .execute();
    const month = monthOf(new Date(), 'Europe/Lisbon');
    const page = await client.get('/console/billing');
    expect(page.html).toContain('<td>&lt;svg onload=alert(1)&gt;</td>');
    expect(page.html).toContain('<td>=HYPERLINK(&quot;http://x&quot;)&lt;b&gt;</td>');
    expect(page.html).toContain('<td>&lt;i&gt;Design&lt;/i&gt;</td>');
    expect(page.html).not.toContain('<svg onload');
    expect(page.html).not.toContain('<i>Design');
    const [, first] = parseCsv((await client.get(`/console/billing/${month}.csv`)).html);
    expect(first?.[2]).toBe(String(fulfilled[0]));
    expect(first?.[6]).toBe('\'=HYPERLINK("http://x")<b>');
  });
});
