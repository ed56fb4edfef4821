import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PICK_LIST_MOST } from '../../../src/console/pages/permissions-page.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { type ConsolePage, noticeOf } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { redemptionIdIn } from '../../support/rewards-fixture.ts';

/** The ids of the redemptions a page lists, in order. */
function listed(page: ConsolePage): number[] {
  return [...page.html.matchAll(/<tr>\n<td>(\d+)<\/td>/g)].map((match) => Number(match[1]));
}

/** The table row of a redemption. */
function rowOf(page: ConsolePage, id: number): string {
  const row = page.html.split('<tr>').find((part) => part.startsWith(`\n<td>${id}</td>`));
  if (!row) throw new Error(`no row for redemption ${id}`);
  return row.split('</tr>')[0] as string;
}

const text = (fragment: string) =>
  fragment
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('console redemptions queue', () => {
  const consoles = consoleOrganizations({
    Ada: { roles: ['member', 'admin'] },
    Hal: { roles: ['member', 'hr'] },
    Ana: {},
    Bo: {},
  });

  /** An organization with two rewards, and Ana and Bo with points to spend. */
  const open = async (as = 'Hal') => {
    const f = await consoles.orgs.organization();
    const coffee = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Coffee',
      pointsCost: 100,
      priceMinor: 500,
    });
    const book = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Book',
      pointsCost: 300,
      priceMinor: 2000,
      stock: 4,
    });
    if (!coffee.ok || !book.ok) throw new Error('no rewards');
    await f.earn('Ana', 1000);
    await f.earn('Bo', 1000);
    const { client } = await consoles.open(as, { fixture: f });
    return { f, client, coffee: coffee.value.id, book: book.value.id };
  };
  const redeem = async (f: AdminFixture, as: string, itemId: number) =>
    redemptionIdIn(await f.command(as, `redeem #${itemId}`));
  const redemption = (f: AdminFixture, id: number) =>
    f.db.selectFrom('redemptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const charges = (f: AdminFixture) =>
    f.db
      .selectFrom('billing_charges')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .execute();

  it('shows the redemptions waiting for HR, newest first, with what each is and costs', async () => {
    const { f, client, coffee, book } = await open();
    const first = await redeem(f, 'Ana', coffee);
    const second = await redeem(f, 'Bo', book);
    const decided = await redeem(f, 'Bo', coffee);
    await f.command('Hal', `hr fulfil ${decided}`);

    const page = await client.get('/console/redemptions');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Redemptions</h1>');
    expect(listed(page)).toEqual([second, first]);
    expect(text(rowOf(page, second))).toMatch(
      /^\d+ Book Bo 300 20\.00 EUR \d+ \w+ 20\d\d, \d\d:\d\d Waiting for HR Fulfil #\d+ Reason to reject #\d+ Reject Hold ends/,
    );
    expect(rowOf(page, first)).toContain(`action="/console/redemptions/${first}/fulfil"`);
    expect(rowOf(page, first)).toContain(`action="/console/redemptions/${first}/reject"`);
    expect(rowOf(page, first)).toContain('name="reason" required');

    const all = await client.get('/console/redemptions?status=all');
    expect(listed(all)).toEqual([decided, second, first]);
    expect(rowOf(all, decided)).toMatch(/Fulfilled by Hal, <time datetime="[^"]+">/);
    expect(rowOf(all, decided)).not.toContain('<form');
  });

  it('filters by status, member, reward and the days they were asked, in the organization’s time zone', async () => {
    const { f, client, coffee, book } = await open();
    const anaCoffee = await redeem(f, 'Ana', coffee);
    const anaBook = await redeem(f, 'Ana', book);
    const boCoffee = await redeem(f, 'Bo', coffee);
    // Lisbon is an hour ahead of UTC in July: 23:30 UTC on the 9th is the 10th there.
    await sql`update redemptions set requested_at = '2026-07-09T23:30:00Z' where id = ${anaCoffee}`.execute(
      f.db,
    );
    await sql`update redemptions set requested_at = '2026-07-09T22:30:00Z' where id = ${boCoffee}`.execute(
      f.db,
    );
    const ana = f.members.Ana?.id;

    expect(listed(await client.get(`/console/redemptions?member=${ana}`))).toEqual([
      anaBook,
      anaCoffee,
    ]);
    expect(listed(await client.get(`/console/redemptions?item=${coffee}`))).toEqual([
      boCoffee,
      anaCoffee,
    ]);
    expect(listed(await client.get(`/console/redemptions?member=${ana}&item=${coffee}`))).toEqual([
      anaCoffee,
    ]);
    expect(listed(await client.get('/console/redemptions?from=2026-07-10&to=2026-07-10'))).toEqual([
      anaCoffee,
    ]);
    expect(listed(await client.get('/console/redemptions?to=2026-07-09'))).toEqual([boCoffee]);
    expect(listed(await client.get('/console/redemptions?from=2026-07-11'))).toEqual([anaBook]);
    const none = await client.get('/console/redemptions?status=rejected');
    expect(listed(none)).toEqual([]);
    expect(none.html).toContain('No redemption matches these filters.');

    // The form keeps what was chosen, and lists only members and rewards with redemptions.
    const page = await client.get(`/console/redemptions?status=all&member=${ana}&from=2026-07-01`);
    expect(page.html).toContain(`<option value="${ana}" selected>Ana</option>`);
    expect(page.html).toContain('<option value="all" selected>Any status</option>');
    expect(page.html).toContain('name="from" value="2026-07-01"');
    expect(page.html).not.toContain('>Hal</option>');
    expect(page.html).toContain(`<option value="${book}">Book</option>`);
  });

  it('fulfils once: a second click is told it was already fulfilled, and nothing more is billed', async () => {
    const { f, client, coffee } = await open();
    const id = await redeem(f, 'Ana', coffee);
    const back = `/console/redemptions?status=held&item=${coffee}`;
    await client.get(back);
    const posted = await client.post(`/console/redemptions/${id}/fulfil`, { back });
    expect(posted.status).toBe(303);
    expect(posted.location).toBe(back);
    const page = await client.follow(posted);
    expect(noticeOf(page)).toBe(`Redemption #${id} (“Coffee”) is fulfilled; 5.00 EUR is billed.`);
    expect(listed(page)).toEqual([]);
    expect(await redemption(f, id)).toMatchObject({
      status: 'fulfilled',
      resolved_by: f.members.Hal?.id,
      reason: null,
    });
    expect(await charges(f)).toMatchObject([{ redemption_id: id, amount_minor: 500 }]);
    expect((await f.audit()).at(-1)).toMatchObject({
      action: 'redemption.fulfil',
      target: `redemption:${id}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: f.members.Hal?.id,
    });

    const before = await f.snapshot();
    const again = await client.post(`/console/redemptions/${id}/fulfil`, { back });
    expect(noticeOf(await client.follow(again))).toBe(
      `Redemption #${id} was already fulfilled; nothing changed.`,
    );
    expect(await f.snapshot()).toEqual(before);
    expect(await charges(f)).toHaveLength(1);
  });

  it('rejects with the reason given: the points go back, the stock returns, the decision shows', async () => {
    const { f, client, book } = await open();
    const id = await redeem(f, 'Ana', book);
    expect((await f.balances('Ana')).earned).toBe(700);
    await client.get('/console/redemptions');
    const posted = await client.post(`/console/redemptions/${id}/reject`, {
      back: '/console/redemptions',
      reason: '  Out of print, sorry ',
    });
    expect(noticeOf(await client.follow(posted))).toBe(
      `Redemption #${id} (“Book”) is rejected; 300 points went back to the member.`,
    );
    expect(await redemption(f, id)).toMatchObject({
      status: 'rejected',
      reason: 'Out of print, sorry',
      resolved_by: f.members.Hal?.id,
    });
    expect((await f.balances('Ana')).earned).toBe(1000);
    const stock = await f.db
      .selectFrom('reward_items')
      .select('stock')
      .where('id', '=', book)
      .executeTakeFirstOrThrow();
    expect(stock.stock).toBe(4);
    expect((await f.audit()).at(-1)).toMatchObject({
      action: 'redemption.reject',
      outcome: 'done',
      via: 'console',
      actorMemberId: f.members.Hal?.id,
      after: { status: 'rejected', reason: 'Out of print, sorry' },
    });
    const all = await client.get('/console/redemptions?status=rejected');
    expect(text(rowOf(all, id))).toMatch(/Rejected by Hal, .+ Reason: Out of print, sorry$/);
    expect(await charges(f)).toEqual([]);
  });

  it('needs a reason to reject, and answers bad input and bad filters with a sentence', async () => {
    const { f, client, coffee } = await open();
    const id = await redeem(f, 'Ana', coffee);
    await client.get('/console/redemptions');
    const before = await f.snapshot();
    const audited = (await f.audit()).length;
    const cases: Array<[string, Record<string, string>, string]> = [
      [
        `/console/redemptions/${id}/reject`,
        {},
        `Say why you reject redemption #${id}; the member is told the reason. Nothing changed.`,
      ],
      [
        `/console/redemptions/${id}/reject`,
        { reason: '   ' },
        `Say why you reject redemption #${id}; the member is told the reason. Nothing changed.`,
      ],
      [
        `/console/redemptions/${id}/reject`,
        { reason: 'x'.repeat(501) },
        'Keep the reason under 500 characters.',
      ],
      ['/console/redemptions/99999999/fulfil', {}, 'There is no redemption #99999999.'],
      ['/console/redemptions/abc/fulfil', {}, 'There is no redemption “abc”.'],
    ];
    for (const [path, fields, sentence] of cases) {
      const posted = await client.post(path, fields);
      expect(posted.status, path).toBe(303);
      expect(noticeOf(await client.follow(posted))).toBe(sentence);
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).length).toBe(audited);

    const filters: Array<[string, string]> = [
      ['status=lost', 'There is no status “lost”; choose one from the list.'],
      ['member=Ana', '“Ana” is not a member; choose one from the list.'],
      ['from=2026-02-30', '“2026-02-30” is not a date; write it as YYYY-MM-DD.'],
      [
        'from=2026-03-02&to=2026-03-01',
        'The range starts on 2026-03-02, after it ends on 2026-03-01; swap the dates.',
      ],
    ];
    for (const [query, sentence] of filters) {
      const page = await client.get(`/console/redemptions?${query}`);
      expect(page.status, query).toBe(400);
      expect(page.html).toContain(`<p class="notice refused" role="alert">${sentence}</p>`);
      expect(listed(page)).toEqual([]);
    }
  });

  it(`past ${PICK_LIST_MOST} members with redemptions, lists none and searches by name or email`, async () => {
    const { f, client, coffee } = await open();
    const anaCoffee = await redeem(f, 'Ana', coffee);
    const boCoffee = await redeem(f, 'Bo', coffee);
    // A crowd with a redemption each, given the points for it in one ledger request.
    const { rows: crowd } = await sql<{ id: number }>`
      insert into members (organization_id, display_name, email)
      select ${f.organizationId}, 'Crowd ' || n, 'crowd-' || n || '@big.example'
      from generate_series(1, ${PICK_LIST_MOST}) as n returning id`.execute(f.db);
    const { ledger } = f.services;
    const issuance = (await ledger.organizationAccounts(f.organizationId)).issuance.id;
    const earned = [];
    for (const { id } of crowd)
      earned.push((await ledger.memberAccounts(f.organizationId, id)).earned.id);
    const granted = await ledger.transfer({
      organizationId: f.organizationId,
      idempotencyKey: 'crowd-points',
      transfers: earned.map((account) => ({
        debitAccountId: issuance,
        creditAccountId: account,
        amount: 100,
        kind: 'kudos' as const,
      })),
    });
    expect(granted.ok).toBe(true);
    const hal = f.members.Hal?.id as number;
    for (const [n, { id }] of crowd.entries()) {
      const redeemed = await f.services.desk.redeem(
        {
          organizationId: f.organizationId,
          memberId: id,
          requestedBy: hal,
          itemId: coffee,
          requestKey: `crowd:${n}`,
        },
        await f.actor('Hal'),
      );
      expect(redeemed.ok).toBe(true);
    }

    const page = await client.get('/console/redemptions?status=all');
    expect(page.html).not.toContain('<select name="member">');
    expect(page.html).not.toContain('>Crowd 1</option>');
    expect(page.html).toContain('<input type="search" name="who" value=""');

    // Any part of a name or an email, in any case; “%” is a character, not a wildcard.
    expect(listed(await client.get('/console/redemptions?status=all&who=an'))).toEqual([anaCoffee]);
    expect(listed(await client.get('/console/redemptions?status=all&who=BO'))).toEqual([boCoffee]);
    const byEmail = await client.get('/console/redemptions?status=all&who=crowd-7%40big');
    expect(listed(byEmail)).toHaveLength(1);
    expect(byEmail.html).toContain('<input type="search" name="who" value="crowd-7@big"');
    expect(listed(await client.get('/console/redemptions?status=all&who=%25'))).toEqual([]);
    expect(listed(await client.get('/console/redemptions?status=all&who=crowd'))).toHaveLength(50);

    // A member named by id (a link) is shown by name, picked, and can be dropped.
    const ana = f.members.Ana?.id;
    const named = await client.get(`/console/redemptions?status=all&member=${ana}`);
    expect(listed(named)).toEqual([anaCoffee]);
    expect(named.html).toContain(`<option value="${ana}" selected>Ana</option>`);
    expect(named.html).toContain('<option value="">Anyone</option>');
  });

  it('goes back only to the queue, whatever the form says', async () => {
    const { f, client, coffee } = await open();
    const id = await redeem(f, 'Ana', coffee);
    await client.get('/console/redemptions');
    const posted = await client.post(`/console/redemptions/${id}/fulfil`, {
      back: 'https://evil.example/console/redemptions',
    });
    expect(posted.location).toBe('/console/redemptions');
  });

  it('refuses an admin without the HR role: no queue, no decision, the attempt audited', async () => {
    const { f, client, coffee } = await open('Ada');
    const id = await redeem(f, 'Ana', coffee);
    const page = await client.get('/console/redemptions');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Only HR can open this page');
    const before = await f.snapshot();
    for (const [path, action] of [
      [`/console/redemptions/${id}/fulfil`, 'redemption.fulfil'],
      [`/console/redemptions/${id}/reject`, 'redemption.reject'],
    ] as const) {
      const refused = await client.post(path, { reason: 'no' });
      expect(refused.status).toBe(403);
      expect(refused.html).toContain(
        'Only HR can decide redemptions; ask someone in HR, or an admin to give you the HR role. Nothing changed.',
      );
      expect((await f.audit()).at(-1)).toMatchObject({
        action,
        target: `redemption:${id}`,
        outcome: 'refused',
        refusalCode: 'not_hr',
        via: 'console',
        actorMemberId: f.members.Ada?.id,
      });
    }
    expect(await f.snapshot()).toEqual(before);
  });

  it('escapes names and reasons people typed', async () => {
    const { f, client } = await open();
    const hostile = await f.services.desk.catalog.create(f.organizationId, {
      name: '<b onmouseover="x()">Mug</b>',
      pointsCost: 10,
      priceMinor: 100,
    });
    if (!hostile.ok) throw new Error(hostile.message);
    await f.db
      .updateTable('members')
      .set({ display_name: '<script>alert(1)</script>' })
      .where('id', '=', f.members.Bo?.id as number)
      .execute();
    const id = await redeem(f, 'Bo', hostile.value.id);
    await client.get('/console/redemptions');
    const posted = await client.post(`/console/redemptions/${id}/reject`, {
      reason: '<img src=x onerror=alert(2)>',
    });
    const page = await client.follow(posted);
    const item = '&lt;b onmouseover=&quot;x()&quot;&gt;Mug&lt;/b&gt;';
    expect(noticeOf(page)).toContain(`(“${item}”) is rejected`);
    const all = await client.get('/console/redemptions?status=all');
    const row = rowOf(all, id);
    expect(row).toContain(`<td>${item}</td>`);
    expect(row).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(row).toContain('Reason: &lt;img src=x onerror=alert(2)&gt;');
    expect(all.html).toContain('>&lt;script&gt;alert(1)&lt;/script&gt;</option>');
    for (const html of [page.html, all.html]) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<b onmouseover');
    }
  });

  it('refuses every form posted without its CSRF token, and changes nothing', async () => {
    const { f, client, coffee } = await open();
    const id = await redeem(f, 'Ana', coffee);
    await client.get('/console/redemptions');
    const before = await f.snapshot();
    const audited = (await f.audit()).length;
    for (const path of [`/console/redemptions/${id}/fulfil`, `/console/redemptions/${id}/reject`]) {
      const refused = await client.post(path, { _csrf: null, reason: 'no' });
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain('This form has expired or did not come from the console');
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).length).toBe(audited);
  });
});
