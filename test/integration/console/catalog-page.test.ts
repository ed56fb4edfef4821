import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/admin/audit-log.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { type ConsolePage, noticeOf } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';

/** The one-shot notice a page shows after a form, as text. */
/** The table row that names a reward. */
function rowOf(page: ConsolePage, name: string): string {
  const row = page.html.split('<tr>').find((part) => part.includes(`>${name}</a>`));
  if (!row) throw new Error(`no row for ${name}`);
  return row.split('</tr>')[0] as string;
}

const cells = (row: string) =>
  [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((match) =>
    (match[1] as string)
      .replace(/<form[\s\S]*<\/form>/g, '')
      .replace(/<[^>]+>/g, '')
      .trim(),
  );

describe('console catalog page', () => {
  const { open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
    },
    { signInAs: 'Hal' },
  );
  const item = async (f: AdminFixture, name: string, extra: Record<string, unknown> = {}) => {
    const created = await f.services.desk.catalog.create(f.organizationId, {
      name,
      pointsCost: 200,
      priceMinor: 500,
      ...extra,
    });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const itemRow = (f: AdminFixture, id: number) =>
    f.db.selectFrom('reward_items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const lastAudit = async (f: AdminFixture): Promise<AuditEntry | undefined> =>
    (await f.audit()).at(-1);

  it('lists every reward that is not retired, with its cost, price, stock and status', async () => {
    const { f, client } = await open();
    await item(f, 'Coffee voucher', { stock: 20 });
    await item(f, 'Cinema ticket', { pointsCost: 1500, priceMinor: 1250, active: false });
    const retired = await item(f, 'Old mug');
    expect((await f.services.desk.catalog.retire(f.organizationId, retired)).ok).toBe(true);

    const page = await client.get('/console/catalog');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Catalog</h1>');
    expect(page.html).toContain('aria-current="page">Catalog</a>');
    expect(cells(rowOf(page, 'Coffee voucher'))).toEqual([
      'Coffee voucher',
      '200',
      '5.00 EUR',
      '20',
      'Active',
      '',
    ]);
    expect(cells(rowOf(page, 'Cinema ticket'))).toEqual([
      'Cinema ticket',
      '1,500',
      '12.50 EUR',
      'Unlimited',
      'Paused',
      '',
    ]);
    expect(page.html).not.toContain('Old mug');
    expect(page.html).toContain('action="/console/catalog"');
  });

  it('adds a reward from the form, audited as the HR member in the console', async () => {
    const { f, client } = await open();
    await client.get('/console/catalog');
    const posted = await client.post('/console/catalog', {
      name: '  Desk plant ',
      description: 'A small green friend',
      pointsCost: '300',
      price: '12.5',
      stock: '5',
      status: 'active',
      fulfilment: 'manual',
      webhookUrl: '',
    });
    expect(posted.status).toBe(303);
    expect(posted.location).toBe('/console/catalog');
    const page = await client.follow(posted);
    expect(noticeOf(page)).toBe('Added “Desk plant” to the catalog.');
    expect(cells(rowOf(page, 'Desk plant'))).toEqual([
      'Desk plant',
      '300',
      '12.50 EUR',
      '5',
      'Active',
      '',
    ]);
    // Shown once: a reload has no notice.
    expect(noticeOf(await client.get('/console/catalog'))).toBeUndefined();

    const row = await f.db
      .selectFrom('reward_items')
      .selectAll()
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Desk plant',
      description: 'A small green friend',
      points_cost: 300,
      price_minor: 1250,
      stock: 5,
      active: true,
      fulfilment: 'manual',
      webhook_url: null,
    });
    expect(await lastAudit(f)).toMatchObject({
      action: 'reward.create',
      target: `reward:${row.id}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: f.members.Hal?.id,
      actorName: 'Hal',
    });
  });

  it('edits a reward on its page, leaving its stock alone, with before and after audited', async () => {
    const { f, client } = await open();
    const id = await item(f, 'Coffee voucher', { stock: 20 });
    const page = await client.get(`/console/catalog/${id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Coffee voucher</h1>');
    expect(page.html).toContain('name="price" required inputmode="decimal" value="5.00"');
    expect(page.html).toContain(`action="/console/catalog/${id}/retire"`);

    const posted = await client.post(`/console/catalog/${id}`, {
      name: 'Large coffee',
      description: '',
      pointsCost: '250',
      price: '6',
      stock: '999',
      status: 'paused',
      fulfilment: 'webhook',
      webhookUrl: 'https://hooks.example.com/plaudit?key=secret',
    });
    expect(posted.location).toBe(`/console/catalog/${id}`);
    const saved = await client.follow(posted);
    expect(noticeOf(saved)).toBe('Saved “Large coffee”.');
    // The form shows what was saved, so saving it again as it stands changes nothing.
    const selected = [...saved.html.matchAll(/<option value="(\w+)" selected>/g)].map((m) => m[1]);
    expect(selected).toEqual(['paused', 'webhook']);
    expect(page.html).toContain('<option value="active" selected>');
    expect(page.html).toContain('<option value="manual" selected>');
    expect(await itemRow(f, id)).toMatchObject({
      name: 'Large coffee',
      points_cost: 250,
      price_minor: 600,
      stock: 20,
      active: false,
      fulfilment: 'webhook',
      webhook_url: 'https://hooks.example.com/plaudit?key=secret',
    });
    const entry = await lastAudit(f);
    expect(entry).toMatchObject({
      action: 'reward.edit',
      target: `reward:${id}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: f.members.Hal?.id,
      before: { name: 'Coffee voucher', pointsCost: 200, active: true },
      after: { name: 'Large coffee', pointsCost: 250, active: false },
    });
    expect(JSON.stringify(entry?.after)).not.toContain('secret');
  });

  it('sets the stock from the list or the reward’s page, and empties it to unlimited', async () => {
    const { f, client } = await open();
    const id = await item(f, 'Coffee voucher', { stock: 20 });
    await client.get('/console/catalog');
    const fromList = await client.post(`/console/catalog/${id}/stock`, {
      from: 'list',
      stock: '7',
    });
    expect(fromList.location).toBe('/console/catalog');
    const list = await client.follow(fromList);
    expect(noticeOf(list)).toBe('“Coffee voucher” now has 7 in stock.');
    expect(cells(rowOf(list, 'Coffee voucher'))[3]).toBe('7');
    expect((await itemRow(f, id)).stock).toBe(7);

    const fromPage = await client.post(`/console/catalog/${id}/stock`, { from: 'item', stock: '' });
    expect(fromPage.location).toBe(`/console/catalog/${id}`);
    expect(noticeOf(await client.follow(fromPage))).toBe(
      '“Coffee voucher” now has unlimited stock.',
    );
    expect((await itemRow(f, id)).stock).toBeNull();
    expect(await lastAudit(f)).toMatchObject({
      action: 'reward.edit',
      via: 'console',
      actorMemberId: f.members.Hal?.id,
      before: { stock: 7 },
      after: { stock: null },
    });
  });

  it('retires a reward: it leaves the list, its page says so, and it cannot change', async () => {
    const { f, client } = await open();
    const id = await item(f, 'Coffee voucher');
    await client.get(`/console/catalog/${id}`);
    const posted = await client.post(`/console/catalog/${id}/retire`);
    expect(posted.location).toBe('/console/catalog');
    const list = await client.follow(posted);
    expect(noticeOf(list)).toBe('“Coffee voucher” is retired; its past redemptions keep it.');
    expect(list.html).not.toContain('>Coffee voucher</a>');
    expect((await itemRow(f, id)).retired_at).not.toBeNull();
    expect(await lastAudit(f)).toMatchObject({
      action: 'reward.retire',
      target: `reward:${id}`,
      via: 'console',
      actorMemberId: f.members.Hal?.id,
    });

    const page = await client.get(`/console/catalog/${id}`);
    expect(page.html).toContain('was retired; its redemptions and charges keep naming it');
    expect(page.html).not.toContain(`action="/console/catalog/${id}"`);
    const before = await f.snapshot();
    const again = await client.post(`/console/catalog/${id}/retire`);
    expect(noticeOf(await client.follow(again))).toBe(
      '“Coffee voucher” was retired and can no longer change.',
    );
    expect(await f.snapshot()).toEqual(before);
  });

  it('answers bad input with its sentence and changes nothing', async () => {
    const { f, client } = await open();
    const id = await item(f, 'Coffee voucher', { stock: 3 });
    await client.get('/console/catalog');
    const form = {
      name: 'Desk plant',
      description: '',
      pointsCost: '300',
      price: '12.50',
      stock: '',
      status: 'active',
      fulfilment: 'manual',
      webhookUrl: '',
    };
    const cases: Array<[string, Record<string, string>, string]> = [
      [
        '/console/catalog',
        { ...form, price: 'twelve' },
        'The price is an amount in EUR, like 25 or 25.50.',
      ],
      [
        '/console/catalog',
        { ...form, price: '12.505' },
        'The price is an amount in EUR, like 25 or 25.50.',
      ],
      [
        '/console/catalog',
        { ...form, pointsCost: '-3' },
        'The cost is a whole number of points, like 200.',
      ],
      [
        '/console/catalog',
        { ...form, pointsCost: '0' },
        'The points cost is a whole number from 1 to 1,000,000,000.',
      ],
      [
        '/console/catalog',
        { ...form, name: '   ' },
        'Give the reward a name of 1 to 120 characters.',
      ],
      [
        '/console/catalog',
        { ...form, stock: 'lots' },
        'The stock is a whole number, like 20, or empty for unlimited.',
      ],
      ['/console/catalog', { ...form, status: 'maybe' }, 'Choose whether it is active or paused.'],
      [
        '/console/catalog',
        { ...form, fulfilment: 'webhook' },
        'A reward fulfilled by webhook needs the address to send redemptions to.',
      ],
      [
        '/console/catalog',
        { ...form, fulfilment: 'webhook', webhookUrl: 'ftp://example.com' },
        'The webhook is an http:// or https:// address.',
      ],
      [
        '/console/catalog',
        { ...form, fulfilment: 'webhook', webhookUrl: 'http://169.254.169.254/latest/meta-data/' },
        'The webhook cannot go to 169.254.169.254, a cloud metadata address; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.',
      ],
      [
        `/console/catalog/${id}`,
        { ...form, fulfilment: 'webhook', webhookUrl: 'http://0xA9FEA9FE/' },
        'The webhook cannot go to 169.254.169.254, a cloud metadata address; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.',
      ],
      [
        `/console/catalog/${id}`,
        { ...form, fulfilment: 'webhook', webhookUrl: 'http://[::ffff:127.0.0.1]:8080/' },
        'The webhook cannot go to [::ffff:7f00:1], a loopback address; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.',
      ],
      [
        '/console/catalog',
        { ...form, name: 'coffee VOUCHER' },
        'There is already a reward called “coffee VOUCHER”; pick another name.',
      ],
      [
        '/console/catalog',
        { name: 'Desk plant' },
        'A new reward needs a name, a cost in points and a price.',
      ],
      [
        `/console/catalog/${id}`,
        { ...form, price: '-1' },
        'The price is an amount in EUR, like 25 or 25.50.',
      ],
      [
        `/console/catalog/${id}/stock`,
        { stock: '2.5' },
        'The stock is a whole number, like 20, or empty for unlimited.',
      ],
      ['/console/catalog/999999999/stock', { stock: '2' }, 'There is no reward “#999999999”.'],
      ['/console/catalog/999999999/retire', {}, 'There is no reward “#999999999”.'],
    ];
    const before = await f.snapshot();
    const audited = (await f.audit()).length;
    for (const [path, fields, sentence] of cases) {
      const posted = await client.post(path, fields);
      expect(posted.status, path).toBe(303);
      expect(noticeOf(await client.follow(posted)), JSON.stringify(fields)).toBe(sentence);
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).length).toBe(audited);
  });

  it('refuses an admin without the HR role: no page, no change, the attempts audited', async () => {
    const { f, client } = await open('Ada');
    const id = await item(f, 'Coffee voucher', { stock: 3 });
    const page = await client.get('/console/catalog');
    expect(page.status).toBe(403);
    expect(page.html).toContain('Only HR can open this page; ask an admin if you need it.');
    expect((await client.get(`/console/catalog/${id}`)).status).toBe(403);

    const before = await f.snapshot();
    const posts: Array<[string, Record<string, string>, string]> = [
      ['/console/catalog', { name: 'Plant', pointsCost: '3', price: '1' }, 'reward.create'],
      [`/console/catalog/${id}`, { name: 'Free coffee', price: '0' }, 'reward.edit'],
      [`/console/catalog/${id}/stock`, { stock: '100' }, 'reward.edit'],
      [`/console/catalog/${id}/retire`, {}, 'reward.retire'],
    ];
    for (const [path, fields, action] of posts) {
      const refused = await client.post(path, fields);
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain(
        'Only HR can change the catalog; ask someone in HR, or an admin to give you the HR role. Nothing changed.',
      );
      expect(await lastAudit(f)).toMatchObject({
        action,
        outcome: 'refused',
        refusalCode: 'not_hr',
        via: 'console',
        actorMemberId: f.members.Ada?.id,
      });
    }
    expect(await f.snapshot()).toEqual(before);
  });

  it('escapes what people typed, everywhere it is shown', async () => {
    const { f, client } = await open();
    const hostile = '<img src=x onerror="alert(1)">';
    await client.get('/console/catalog');
    const posted = await client.post('/console/catalog', {
      name: hostile,
      description: '</textarea><script>alert(2)</script>',
      pointsCost: '10',
      price: '1',
      status: 'active',
      fulfilment: 'manual',
    });
    const escaped = '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;';
    const list = await client.follow(posted);
    expect(noticeOf(list)).toBe(`Added “${escaped}” to the catalog.`);
    expect(list.html).toContain(`>${escaped}</a>`);
    expect(list.html).toContain(`aria-label="Stock of ${escaped} (empty for unlimited)"`);
    const { id } = await f.db
      .selectFrom('reward_items')
      .select('id')
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();
    const page = await client.get(`/console/catalog/${id}`);
    expect(page.html).toContain(`<title>${escaped} · Plaudit console</title>`);
    expect(page.html).toContain(
      '&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;</textarea>',
    );
    for (const html of [list.html, page.html]) {
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert');
    }
    const missing = await client.get('/console/catalog/%3Cb%3Ex');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('There is no reward “&lt;b&gt;x” in the catalog.');
  });

  it('refuses every form posted without its CSRF token, and changes nothing', async () => {
    const { f, client } = await open();
    const id = await item(f, 'Coffee voucher', { stock: 3 });
    await client.get('/console/catalog');
    const before = await f.snapshot();
    const audited = (await f.audit()).length;
    for (const path of [
      '/console/catalog',
      `/console/catalog/${id}`,
      `/console/catalog/${id}/stock`,
      `/console/catalog/${id}/retire`,
    ]) {
      const refused = await client.post(path, {
        _csrf: null,
        name: 'Stolen',
        pointsCost: '1',
        price: '0',
        stock: '0',
      });
      expect(refused.status, path).toBe(403);
      expect(refused.html).toContain('This form has expired or did not come from the console');
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.audit()).length).toBe(audited);
  });
});
