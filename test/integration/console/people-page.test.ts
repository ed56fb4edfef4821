import { describe, expect, it } from 'vitest';
import { reverseRecognition } from '../../../src/admin/recognition-reversals.ts';
import { createMember } from '../../../src/directory/members.ts';
import type { RewardItemFields } from '../../../src/rewards/catalog.ts';
import { changeRewardSettings } from '../../../src/rewards/reward-settings.ts';
import type { AdminFixture } from '../../support/admin-fixture.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { key } from '../../support/ledger-fixture.ts';

const HOSTILE = '<script>alert("pwned")</script>';

describe('console people page: search, balances, roles, history, adjust', () => {
  const { orgs, open } = consoleOrganizations(
    {
      Ada: { roles: ['member', 'admin'] },
      Hal: { roles: ['member', 'hr'] },
      Li: {},
      Bo: {},
      [HOSTILE]: {},
    },
    { signInAs: 'Ada' },
  );
  const idOf = (f: AdminFixture, name: string) => {
    const member = f.members[name];
    if (!member) throw new Error(`no member ${name}`);
    return member.id;
  };
  /** The one row of the people table that links to this member. */
  const rowOf = (page: string, id: number) =>
    new RegExp(`<tr><td><a href="/console/people/${id}">.*?</tr>`).exec(page)?.[0];
  const lastAudit = async (f: AdminFixture) => (await f.audit()).at(-1);
  /** The key the adjust form was drawn with. */
  const formKey = (page: string) => /name="key" value="([^"]+)"/.exec(page)?.[1] ?? '';
  /** The key the redeem form was drawn with. */
  const redeemKey = (page: string) =>
    /action="\/console\/people\/\d+\/redeem"[\s\S]*?name="key" value="([^"]+)"/.exec(page)?.[1] ??
    '';
  const reward = async (f: AdminFixture, fields: Partial<RewardItemFields> & { name: string }) => {
    const created = await f.services.desk.catalog.create(f.organizationId, {
      pointsCost: 100,
      priceMinor: 500,
      ...fields,
    });
    if (!created.ok) throw new Error(created.message);
    return created.value.id;
  };
  const redemptionsOf = (f: AdminFixture, name: string) =>
    f.services.desk.redemptions.ofMember(f.organizationId, idOf(f, name));
  /** The rows of the person's redemptions table, as text cells. */
  const redemptionRows = (page: string) => {
    const start = page.indexOf('<h2>Redemptions</h2>');
    const table = page.slice(start, page.indexOf('</table>', start));
    return table
      .split('<tr>')
      .slice(2)
      .map((row) =>
        [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
          (m[1] as string).replace(/<[^>]+>/g, '').trim(),
        ),
      );
  };

  it('lists everyone with their points, allowance, roles and status, and finds by name or email', async () => {
    const { f, client } = await open();
    await f.earn('Li', 1200);
    expect((await f.command('Li', '@Bo 15 for the launch')).outcome).toBe('ok');
    await f.db
      .updateTable('members')
      .set({ email: 'bo.berg@example.com' })
      .where('id', '=', idOf(f, 'Bo'))
      .execute();

    const page = await client.get('/console/people');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Showing 1–5 of 5 people.');
    expect(rowOf(page.html, idOf(f, 'Li'))).toBe(
      `<tr><td><a href="/console/people/${idOf(f, 'Li')}">Li</a></td><td></td><td>member</td><td>active</td><td class="number">1,200</td><td class="number">85</td></tr>`,
    );
    // Bo has not given yet: no period of his is open, so the ledger holds no allowance for him.
    expect(rowOf(page.html, idOf(f, 'Bo'))).toContain(
      '<td>bo.berg@example.com</td><td>member</td><td>active</td><td class="number">15</td><td class="number">0</td>',
    );
    expect(rowOf(page.html, idOf(f, 'Ada'))).toContain('<td>admin</td>');
    expect(rowOf(page.html, idOf(f, 'Hal'))).toContain('<td>HR</td>');

    const byName = await client.get('/console/people?q=LI');
    expect(byName.html).toContain('Showing 1–1 of 1 person matching “LI”.');
    expect(rowOf(byName.html, idOf(f, 'Li'))).toBeDefined();
    expect(rowOf(byName.html, idOf(f, 'Bo'))).toBeUndefined();

    const byEmail = await client.get('/console/people?q=berg%40example');
    expect(rowOf(byEmail.html, idOf(f, 'Bo'))).toBeDefined();
    expect(rowOf(byEmail.html, idOf(f, 'Li'))).toBeUndefined();

    // A pattern's wildcards are searched for as written.
    const wild = await client.get('/console/people?q=%25');
    expect(wild.html).toContain('Nobody’s name or email holds “%”.');
  });

  it('shows fifty people a page and says how many of how many', async () => {
    const { f, client } = await open('Hal');
    for (let i = 1; i <= 52; i += 1) {
      const made = await createMember(f.db, f.organizationId, {
        displayName: `Temp ${String(i).padStart(2, '0')}`,
      });
      if (!made.ok) throw new Error(made.message);
    }
    const first = await client.get('/console/people?q=temp');
    expect(first.html).toContain('Showing 1–50 of 52 people matching “temp”.');
    expect(first.html).toContain('>Temp 50</a>');
    expect(first.html).not.toContain('>Temp 51</a>');
    expect(first.html).toContain('<a href="/console/people?q=temp&amp;page=2" rel="next">');
    const second = await client.get('/console/people?q=temp&page=2');
    expect(second.html).toContain('Showing 51–52 of 52 people matching “temp”.');
    expect(second.html).toContain('>Temp 52</a>');
    expect(second.html).toContain('rel="prev"');
    expect(second.html).not.toContain('rel="next"');
    const everyone = await client.get('/console/people');
    expect(everyone.html).toContain('Showing 1–50 of 57 people.');
  });

  it("shows a person's balances, roles and history, reversed kudos marked", async () => {
    const { f, client } = await open();
    const given = await f.command('Bo', '@Li 10 for the launch');
    const reversedId = given.events[0]?.recognitionId;
    if (reversedId === undefined) throw new Error('no recognition');
    expect((await f.command('Li', '@Bo 7 for the coffee')).outcome).toBe('ok');
    const reversal = await reverseRecognition(f.services, await f.actor('Ada'), {
      recognitionId: reversedId,
      reason: 'given by mistake',
      idempotencyKey: key('rev'),
    });
    expect(reversal.ok).toBe(true);
    expect((await f.command('Ada', 'admin adjust @Li +40 for the offsite')).outcome).toBe('ok');

    const page = await client.get(`/console/people/${idOf(f, 'Li')}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Li</h1>');
    expect(page.html).toContain(
      '<span class="figure">40</span> <span class="label">points available to spend</span>',
    );
    expect(page.html).toContain(
      '<span class="figure">93</span> <span class="label">allowance left to give, of 100 a period</span>',
    );
    expect(page.html).toContain('<p>Roles: member.</p>');
    expect(page.html).toMatch(
      /<tr class="reversed">.*?Received from Bo <strong class="badge">Reversed<\/strong><\/td><td class="number">10<\/td><td>the launch<\/td>/,
    );
    expect(page.html).toMatch(/<tr><td>.*?Gave Bo<\/td><td class="number">7<\/td><td>the coffee</);
    expect(page.html).toMatch(/<td class="number">\+40<\/td><td>the offsite<\/td><td>Ada<\/td>/);
    // An admin has the role buttons and the adjust form.
    expect(page.html).toContain('>Make admin</button>');
    expect(page.html).toContain('>Give HR role</button>');
    expect(page.html).toContain('name="amount"');
  });

  it('lets an admin grant and revoke roles, audited as a console action', async () => {
    const { f, client } = await open();
    const li = idOf(f, 'Li');
    await client.get(`/console/people/${li}`);
    const granted = await client.post(`/console/people/${li}/roles`, {
      role: 'hr',
      change: 'grant',
    });
    expect(granted.status).toBe(303);
    expect(granted.location).toBe(`/console/people/${li}`);
    const after = await client.follow(granted);
    expect(after.html).toContain('<p class="notice done" role="status">Li is now in HR.</p>');
    expect(after.html).toContain('<p>Roles: HR.</p>');
    expect(after.html).toContain('>Remove HR role</button>');
    expect((await f.actor('Li')).roles).toEqual(['member', 'hr']);
    expect(await lastAudit(f)).toMatchObject({
      action: 'role.grant',
      target: `member:${li}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: idOf(f, 'Ada'),
      after: { roles: ['member', 'hr'] },
    });

    await client.post(`/console/people/${li}/roles`, { role: 'admin', change: 'grant' });
    await client.post(`/console/people/${li}/roles`, { role: 'hr', change: 'revoke' });
    expect((await f.actor('Li')).roles).toEqual(['member', 'admin']);
    expect(await lastAudit(f)).toMatchObject({ action: 'role.revoke', via: 'console' });

    // The last admin keeps the role: the service's sentence, and nothing changes.
    await client.post(`/console/people/${li}/roles`, { role: 'admin', change: 'revoke' });
    const before = await f.snapshot();
    const last = await client.post(`/console/people/${idOf(f, 'Ada')}/roles`, {
      role: 'admin',
      change: 'revoke',
    });
    expect((await client.follow(last)).html).toContain(
      'Ada is the last admin; make someone else admin first.',
    );
    expect(await f.snapshot()).toEqual(before);
    const owner = await client.post(`/console/people/${li}/roles`, {
      role: 'owner',
      change: 'grant',
    });
    expect((await client.follow(owner)).html).toContain(
      'Grant or revoke admin or HR; nothing changed.',
    );
    expect(await f.snapshot()).toEqual(before);
  });

  it('adjusts points once per drawn form, with a reason, audited as a console action', async () => {
    const { f, client } = await open();
    const li = idOf(f, 'Li');
    const page = await client.get(`/console/people/${li}`);
    const formFields = { amount: '+25', reason: 'for the offsite', key: formKey(page.html) };
    const first = await client.post(`/console/people/${li}/adjust`, formFields);
    expect(first.status).toBe(303);
    // The same form sent again (a double click, a resend) adjusts nothing more.
    const again = await client.post(`/console/people/${li}/adjust`, formFields);
    expect((await client.follow(again)).html).toContain(
      '<p class="notice done" role="status">Added 25 points to Li’s balance.</p>',
    );
    expect(await f.balances('Li')).toMatchObject({ earned: 25 });
    const adjustments = (await f.audit()).filter((entry) => entry.action.startsWith('adjustment'));
    expect(adjustments).toHaveLength(1);
    expect(adjustments[0]).toMatchObject({
      action: 'adjustment.grant',
      target: `member:${li}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: idOf(f, 'Ada'),
      after: { amount: 25, reason: 'for the offsite' },
    });

    // A fresh page is a fresh form: a deduction with a typographic minus.
    const next = await client.get(`/console/people/${li}`);
    expect(formKey(next.html)).not.toBe(formFields.key);
    const deducted = await client.post(`/console/people/${li}/adjust`, {
      amount: '−5',
      reason: 'counted twice',
      key: formKey(next.html),
    });
    const shown = await client.follow(deducted);
    expect(shown.html).toContain('Deducted 5 points from Li’s balance.');
    expect(shown.html).toMatch(/<td class="number">−5<\/td><td>counted twice<\/td><td>Ada<\/td>/);
    expect(await f.balances('Li')).toMatchObject({ earned: 20 });

    // Bad input is refused with the service's sentence, and nothing changes.
    const before = await f.snapshot();
    const refusals: Array<[Record<string, string>, string]> = [
      [{ amount: '-21', reason: 'too much' }, 'Li has 20 points to deduct from; 21 points is more'],
      [{ amount: 'ten', reason: 'typo' }, 'Adjust by a whole number of points from 1 to 1,000,000'],
      [{ amount: '0', reason: 'nothing' }, 'Adjust by a whole number of points'],
      [{ amount: '5', reason: '   ' }, 'Say why: an adjustment needs a reason.'],
      [{ amount: '5', reason: 'no key', key: '' }, 'An adjustment needs an idempotency key'],
    ];
    for (const [fields, sentence] of refusals) {
      const fresh = await client.get(`/console/people/${li}`);
      const sent = await client.post(`/console/people/${li}/adjust`, {
        key: formKey(fresh.html),
        ...fields,
      });
      const answer = await client.follow(sent);
      expect(answer.html, fields.amount).toContain('<p class="notice refused" role="alert">');
      expect(answer.html, fields.amount).toContain(sentence);
    }
    expect(await f.snapshot()).toEqual(before);
  });

  it('shows an admin a private kudos marked private, and HR the public ones only', async () => {
    const { f, client } = await open();
    expect((await f.command('Bo', 'private @Li 6 for the hard week')).outcome).toBe('ok');
    expect((await f.command('Bo', '@Li 2 for the docs')).outcome).toBe('ok');
    const li = idOf(f, 'Li');
    const forAdmin = (await client.get(`/console/people/${li}`)).html;
    expect(forAdmin).toMatch(
      /Received from Bo <strong class="badge">Private<\/strong><\/td><td class="number">6<\/td><td>the hard week<\/td>/,
    );
    expect(forAdmin).toMatch(/Received from Bo<\/td><td class="number">2<\/td><td>the docs<\/td>/);
    const { client: hr } = await open('Hal', { fixture: f });
    const forHr = (await hr.get(`/console/people/${li}`)).html;
    expect(forHr).toContain('the docs');
    expect(forHr).not.toContain('the hard week');
  });

  it('lets HR read people but refuses their role and adjust forms, changing nothing', async () => {
    const { f, client } = await open('Hal');
    const li = idOf(f, 'Li');
    const page = await client.get(`/console/people/${li}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Only admins can change roles.');
    expect(page.html).toContain('Only admins can grant or deduct points.');
    expect(page.html).not.toContain('name="amount"');
    expect(page.html).not.toContain('>Make admin</button>');

    const before = await f.snapshot();
    const role = await client.post(`/console/people/${li}/roles`, {
      role: 'admin',
      change: 'grant',
    });
    expect((await client.follow(role)).html).toContain(
      'Only admins can change roles; ask an admin if this needs doing.',
    );
    const adjust = await client.post(`/console/people/${li}/adjust`, {
      amount: '500',
      reason: 'bonus',
      key: key('form'),
    });
    expect((await client.follow(adjust)).html).toContain(
      'Only admins can grant or deduct points; ask an admin if this needs doing.',
    );
    expect(await f.snapshot()).toEqual(before);
    const refused = (await f.audit()).slice(-2);
    expect(refused).toMatchObject([
      { action: 'role.grant', outcome: 'refused', via: 'console', actorMemberId: idOf(f, 'Hal') },
      {
        action: 'adjustment.grant',
        outcome: 'refused',
        via: 'console',
        actorMemberId: idOf(f, 'Hal'),
      },
    ]);
  });

  it('lets HR redeem for a person once per drawn form, audited as a console action, with their redemptions listed', async () => {
    const { f, client } = await open('Hal');
    const li = idOf(f, 'Li');
    await f.earn('Li', 500);
    const coffee = await reward(f, { name: 'Coffee', pointsCost: 100, priceMinor: 450 });
    await reward(f, { name: 'Paused', active: false });
    const book = await reward(f, { name: 'Book', pointsCost: 200, priceMinor: 1500 });

    const page = await client.get(`/console/people/${li}`);
    expect(page.html).toContain('<h2>Redeem for this person</h2>');
    expect(
      [...page.html.matchAll(/<option value="(\d+)">([^<]*)<\/option>/g)].map((m) => [
        Number(m[1]),
        m[2],
      ]),
    ).toEqual([
      [book, 'Book — 200 points (15.00 EUR)'],
      [coffee, 'Coffee — 100 points (4.50 EUR)'],
    ]);
    expect(page.html).toContain(
      '<h2>Redemptions</h2>\n<p class="muted">No rewards redeemed yet.</p>',
    );
    const fields = { reward: String(coffee), key: redeemKey(page.html) };
    const first = await client.post(`/console/people/${li}/redeem`, fields);
    expect(first.status).toBe(303);
    expect(first.location).toBe(`/console/people/${li}`);
    // The same form sent again (a double click, a resend) redeems nothing more.
    const again = await client.follow(await client.post(`/console/people/${li}/redeem`, fields));
    const [redemption, ...more] = await redemptionsOf(f, 'Li');
    expect(more).toEqual([]);
    expect(redemption).toMatchObject({
      itemId: coffee,
      status: 'held',
      requestedBy: idOf(f, 'Hal'),
    });
    const id = redemption?.id as number;
    expect(again.html).toContain(
      `<p class="notice done" role="status">You redeemed “Coffee” for Li (redemption #${id}); 100 points of theirs are held until it is fulfilled.</p>`,
    );
    expect(await f.balances('Li')).toMatchObject({ earned: 400 });
    expect(again.html).toContain(
      '<span class="figure">100</span> <span class="label">points held for redemptions</span>',
    );
    const audited = (await f.audit()).filter((entry) => entry.action === 'redemption.redeem_for');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      target: `member:${li}`,
      outcome: 'done',
      via: 'console',
      actorMemberId: idOf(f, 'Hal'),
      after: { redemptionId: id, itemId: coffee, points: 100 },
    });

    // A fresh page is a fresh form; the person's history lists each redemption as it ends.
    const next = await client.get(`/console/people/${li}`);
    expect(redeemKey(next.html)).not.toBe(fields.key);
    await client.post(`/console/people/${li}/redeem`, {
      reward: String(book),
      key: redeemKey(next.html),
    });
    const [second] = await redemptionsOf(f, 'Li');
    const rejected = await f.services.desk.resolve(
      f.organizationId,
      second?.id as number,
      'rejected',
      { memberId: idOf(f, 'Hal'), reason: 'sold out' },
      await f.actor('Hal'),
    );
    expect(rejected.ok).toBe(true);
    expect((await f.command('Hal', `hr fulfil ${id}`)).outcome).toBe('ok');
    const history = await client.get(`/console/people/${li}`);
    expect(redemptionRows(history.html).map((row) => row.slice(1))).toEqual([
      [`Book #${second?.id}`, '200', 'rejected: sold out'],
      [`Coffee #${id}`, '100', 'fulfilled'],
    ]);
    expect(await f.balances('Li')).toMatchObject({ earned: 400 });
  });

  it('refuses a redemption that cannot be made with the service’s sentence, changing nothing', async () => {
    const { f, client } = await open('Hal');
    const li = idOf(f, 'Li');
    await f.earn('Li', 150);
    const coffee = await reward(f, { name: 'Coffee', pointsCost: 100, priceMinor: 450 });
    const bike = await reward(f, { name: 'Bike', pointsCost: 1000, priceMinor: 100 });
    const mug = await reward(f, { name: 'Mug', pointsCost: 10, priceMinor: 100, stock: 0 });
    const set = await changeRewardSettings(f.db, f.organizationId, { monthlyBudgetMinor: 400 });
    expect(set.ok).toBe(true);
    const stranger = await orgs.organization();
    const theirs = await reward(stranger, { name: 'Their coffee' });

    const before = await f.snapshot();
    const audit = await f.audit();
    const refusals: Array<[Record<string, string>, string]> = [
      [{ reward: String(bike) }, 'They have 150 points to spend, and “Bike” costs 1000 points.'],
      [{ reward: String(mug) }, '“Mug” is out of stock; ask HR when it is back.'],
      [
        { reward: String(coffee) },
        'This month&#39;s rewards budget has 4.00 EUR left, and this reward costs 4.50 EUR',
      ],
      // The whole notice: the console's sentence names no chat command.
      [{ reward: String(theirs) }, `There is no reward “#${theirs}”.</p>`],
      [{ reward: '' }, 'Pick a reward to redeem; nothing changed.'],
      [{ reward: String(coffee), key: '' }, 'This form has no valid key; open the page again'],
    ];
    for (const [fields, sentence] of refusals) {
      const fresh = await client.get(`/console/people/${li}`);
      const sent = await client.post(`/console/people/${li}/redeem`, {
        key: redeemKey(fresh.html),
        ...fields,
      });
      expect(sent.status, sentence).toBe(303);
      const answer = await client.follow(sent);
      expect(answer.html, sentence).toContain('<p class="notice refused" role="alert">');
      expect(answer.html, sentence).toContain(sentence);
    }
    expect(await f.snapshot()).toEqual(before);
    expect(await f.audit()).toEqual(audit);
  });

  it('refuses an admin without HR the redeem form, audited as refused, changing nothing', async () => {
    const { f, client } = await open('Ada');
    const li = idOf(f, 'Li');
    await f.earn('Li', 500);
    const coffee = await reward(f, { name: 'Coffee' });
    const page = await client.get(`/console/people/${li}`);
    expect(page.html).toContain('Only HR can redeem rewards on someone’s behalf.');
    expect(page.html).not.toContain(`action="/console/people/${li}/redeem"`);
    const before = await f.snapshot();
    // The role is checked first, as the API does: an empty form is refused for it too.
    const forms: Array<Record<string, string>> = [{ reward: String(coffee), key: key('form') }, {}];
    for (const fields of forms) {
      const sent = await client.post(`/console/people/${li}/redeem`, fields);
      expect((await client.follow(sent)).html).toContain(
        'Only HR can redeem on someone’s behalf; ask someone in HR, or an admin to give you the HR role.',
      );
    }
    expect(await f.snapshot()).toEqual(before);
    const refused = {
      action: 'redemption.redeem_for',
      target: `member:${li}`,
      outcome: 'refused',
      via: 'console',
      actorMemberId: idOf(f, 'Ada'),
    };
    expect((await f.audit()).slice(-2)).toMatchObject([
      { ...refused, after: { itemId: coffee } },
      { ...refused, after: null },
    ]);
  });

  it('answers 404 with a sentence for an unknown id, a word, or a member of another organization', async () => {
    const { client } = await open();
    const stranger = await orgs.organization();
    for (const id of ['999999999', 'abc', String(idOf(stranger, 'Li'))]) {
      const page = await client.get(`/console/people/${id}`);
      expect(page.status, id).toBe(404);
      expect(page.html, id).toContain(`No one in your organization has the id “${id}”.`);
    }
    const before = await stranger.snapshot();
    const posted = await client.post(`/console/people/${idOf(stranger, 'Li')}/adjust`, {
      amount: '10',
      reason: 'across',
      key: key('form'),
    });
    expect((await client.follow(posted)).html).toContain(
      `There is no member ${idOf(stranger, 'Li')} here.`,
    );
    expect(await stranger.snapshot()).toEqual(before);
  });

  it('escapes what people are called', async () => {
    const { f, client } = await open();
    const hostile = idOf(f, HOSTILE);
    await f.command(HOSTILE, '@Li 5 for <b>bold</b> work');
    const escaped = '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;';
    const list = await client.get('/console/people');
    expect(list.html).toContain(`<a href="/console/people/${hostile}">${escaped}</a>`);
    const person = await client.get(`/console/people/${hostile}`);
    expect(person.html).toContain(`<h1>${escaped}</h1>`);
    const li = await client.get(`/console/people/${idOf(f, 'Li')}`);
    expect(li.html).toContain(`Received from ${escaped}`);
    expect(li.html).toContain('<td>&lt;b&gt;bold&lt;/b&gt; work</td>');
    for (const page of [list, person, li]) expect(page.html).not.toContain('<script>');
  });

  it('shows a reason as the text that was typed: no script, no mention', async () => {
    const { f, client } = await open();
    await f.command('Bo', '@Li 5 for <script>alert(1)</script> and <!channel>');
    const li = await client.get(`/console/people/${idOf(f, 'Li')}`);
    expect(li.html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt; and @channel</td>');
    expect(li.html).not.toContain('<script>alert');
  });

  it('refuses every form of the people, permissions and settings pages without its CSRF token', async () => {
    const { f, client } = await open();
    const li = idOf(f, 'Li');
    const page = await client.get(`/console/people/${li}`);
    const forms: Array<[string, Record<string, string>]> = [
      [`/console/people/${li}/roles`, { role: 'admin', change: 'grant' }],
      [`/console/people/${li}/adjust`, { amount: '50', reason: 'bonus', key: formKey(page.html) }],
      ['/console/permissions/give', { kind: 'only', roles: 'hr' }],
      ['/console/permissions/receive', { kind: 'everyone_except', roles: 'admin' }],
      ['/console/settings', { allowance: '7', _shown: '{"allowance":"100"}' }],
    ];
    const before = await f.snapshot();
    const audit = await f.audit();
    for (const [path, fields] of forms) {
      for (const token of [null, 'forged-token']) {
        const sent = await client.post(path, { ...fields, _csrf: token });
        expect(sent.status, path).toBe(403);
        expect(sent.html, path).toContain('Nothing changed.');
      }
    }
    expect(await f.snapshot()).toEqual(before);
    expect(await f.audit()).toEqual(audit);
    // With the token, the same forms go through: the refusals above were the token's.
    for (const [path, fields] of forms) {
      expect((await client.post(path, fields)).status, path).toBe(303);
    }
    expect(await f.snapshot()).not.toEqual(before);
  });
});
