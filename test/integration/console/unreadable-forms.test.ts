import { describe, expect, it } from 'vitest';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import type { ConsoleClient, ConsolePage } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { organizationSnapshot } from '../../support/organization-snapshot.ts';

const NUL = '\u0000';

/** The sentence of a page the console refused to read. */
const sentenceOf = (page: ConsolePage) => /<p>([^<]*)<\/p>/.exec(page.html)?.[1];

/**
 * What no browser sends (a NUL, which Postgres cannot store; a field twice that takes one
 * value; a body over the limit) is answered 400 or 413 with a sentence, and nothing
 * changes. The NUL reached Postgres as a 500; a repeated field was read as missing, or
 * as its last value.
 */
describe('console forms that cannot be read', () => {
  const { open } = consoleOrganizations(
    { Ada: { roles: ['member', 'admin', 'hr'] }, Li: {} },
    { signInAs: 'Ada' },
  );
  /** The adjust form of Li's page, freshly drawn, with its key. */
  const adjustForm = async (f: AdminFixture, client: ConsoleClient) => {
    const li = f.members.Li?.id as number;
    const page = await client.get(`/console/people/${li}`);
    const key = /name="key" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    return { path: `/console/people/${li}/adjust`, key };
  };
  const reward = async (f: AdminFixture) => {
    const created = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Coffee voucher',
      pointsCost: 200,
      priceMinor: 500,
    });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const whole = (f: AdminFixture) => organizationSnapshot(f.db, f.organizationId);

  it('refuses a NUL in any field or filter with 400, naming the field, and changes nothing', async () => {
    const { f, client } = await open();
    const id = await reward(f);
    const adjust = await adjustForm(f, client);
    await client.get('/console/settings');
    const before = await whole(f);
    const posts: Array<[string, Record<string, string>, string]> = [
      ['/console/catalog', { name: `Desk${NUL}plant`, pointsCost: '3', price: '1' }, 'name'],
      [`/console/catalog/${id}`, { description: `a${NUL}` }, 'description'],
      [adjust.path, { amount: '+5', reason: `for${NUL}the offsite`, key: adjust.key }, 'reason'],
      ['/console/settings', { values: `teamwork, own${NUL}ership` }, 'values'],
      ['/console/settings', { timezone: `Europe/Lisbon${NUL}` }, 'timezone'],
      ['/console/permissions/give', { kind: 'only', [`add${NUL}people`]: 'Li' }, 'add\\0people'],
    ];
    for (const [path, fields, field] of posts) {
      const page = await client.post(path, fields);
      expect([path, page.status, sentenceOf(page)]).toEqual([
        path,
        400,
        `The form holds a NUL character (\\0) in “${field}”, which Plaudit cannot store; nothing changed.`,
      ]);
    }
    for (const path of [
      '/console/people?q=%00',
      '/console/audit?action=a%00',
      '/console/catalog?x=%00',
    ]) {
      const page = await client.get(path);
      expect([path, page.status, sentenceOf(page)]).toEqual([
        path,
        400,
        expect.stringMatching(/^The address holds a NUL character \(\\0\) in “\w+”/),
      ]);
    }
    expect(await whole(f)).toEqual(before);
    expect(await f.balances('Li')).toEqual({ earned: 0, allowance: 0 });
  });

  it('refuses a field sent twice that takes one value, and changes nothing', async () => {
    const { f, client } = await open();
    const id = await reward(f);
    const adjust = await adjustForm(f, client);
    const before = await whole(f);
    const posts: Array<[string, Record<string, string | string[]>, string]> = [
      ['/console/catalog', { name: ['Desk plant', 'Mug'], pointsCost: '3', price: '1' }, 'name'],
      [`/console/catalog/${id}`, { name: ['Tea', 'Coffee'] }, 'name'],
      [`/console/catalog/${id}/stock`, { stock: ['5', '50'] }, 'stock'],
      [adjust.path, { amount: ['+5', '+500'], reason: 'offsite', key: adjust.key }, 'amount'],
      [adjust.path, { amount: '+5', reason: 'offsite', key: [adjust.key, adjust.key] }, 'key'],
    ];
    for (const [path, fields, field] of posts) {
      const page = await client.post(path, fields);
      expect([path, page.status, sentenceOf(page)]).toEqual([
        path,
        400,
        `The form sent “${field}” 2 times, and it takes one value; nothing changed.`,
      ]);
    }
    expect(await whole(f)).toEqual(before);
    expect(await f.balances('Li')).toEqual({ earned: 0, allowance: 0 });
    // The fields that take several values still do: ticked people, a switch's "no" and "yes".
    const li = String(f.members.Li?.id);
    const ada = String(f.members.Ada?.id);
    await client.get('/console/permissions');
    const rule = await client.post('/console/permissions/give', {
      kind: 'only',
      members: [li, ada],
      roles: ['admin', 'hr'],
    });
    expect(rule.status).toBe(303);
  });

  it('answers a form larger than it takes with 413, and changes nothing', async () => {
    const { f, client } = await open();
    await client.get('/console/catalog');
    const before = await whole(f);
    const page = await client.post('/console/catalog', {
      name: 'Desk plant',
      description: 'x'.repeat(70_000),
      pointsCost: '3',
      price: '1',
    });
    expect(page.status).toBe(413);
    expect(JSON.parse(page.html)).toEqual({
      error: 'too_large',
      message: 'The body is larger than the 65,536 bytes this address takes; nothing was done.',
    });
    expect(await whole(f)).toEqual(before);
  });
});
