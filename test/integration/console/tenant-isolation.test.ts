import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGroupMembers, createGroup } from '../../../src/directory/groups.ts';
import { monthOf } from '../../../src/rewards/billing.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import type { ConsoleClient, ConsolePage } from '../../support/console-client.ts';
import { consoleOrganizations } from '../../support/console-organizations.ts';
import { key } from '../../support/ledger-fixture.ts';
import { redemptionIdIn } from '../../support/rewards-fixture.ts';

/** Everything of organization B that A's pages could show, if they leaked. */
const B_WORDS = ['Zoltan', 'Quentin', 'Xiomara', 'Yacht of Elsewhere', 'Borealis', 'Guild Beyond'];

/**
 * Two organizations on one console. Signed in to A as a member with both roles, every
 * route that takes an id is asked about B's people, rewards and redemptions: each answers
 * 404 or refuses, B's rows and audit log stay as they were, and A's pages name nobody of B.
 */
describe('console tenant isolation', () => {
  const { orgs, open } = consoleOrganizations({
    Ada: { roles: ['member', 'admin', 'hr'] },
    Li: {},
    Bo: {},
  });
  let b: (AdminFixture & { close(): Promise<void> }) | undefined;
  let bIds: Awaited<ReturnType<typeof fillB>> | undefined;
  beforeAll(async () => {
    b = await createAdminFixture(orgs.db, {
      members: { Zoltan: { roles: ['member', 'admin', 'hr'] }, Quentin: {}, Xiomara: {} },
    });
    bIds = await fillB(b);
  });
  afterAll(async () => {
    await b?.close();
  });

  const ok = async (f: AdminFixture, as: string, text: string) => {
    const reply = await f.command(as, text);
    expect(reply.outcome, reply.text).toBe('ok');
    return reply;
  };

  /** Organization B with kudos, a group, a reward, a charge and two held redemptions. */
  const fillB = async (f: AdminFixture) => {
    await ok(f, 'Zoltan', '@Quentin 20 for the Borealis merger');
    const guild = await createGroup(f.db, f.organizationId, 'Guild Beyond');
    if (!guild.ok) throw new Error(guild.message);
    await addGroupMembers(f.db, guild.value, [f.members.Quentin?.id as number]);
    const created = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Yacht of Elsewhere',
      pointsCost: 100,
      priceMinor: 900,
      stock: 10,
    });
    if (!created.ok) throw new Error(created.message);
    const yacht = created.value.id;
    await f.earn('Xiomara', 1000);
    const redeem = async () => redemptionIdIn(await ok(f, 'Xiomara', `redeem #${yacht}`));
    await ok(f, 'Zoltan', `hr fulfil ${await redeem()}`);
    const held = [await redeem(), await redeem()];
    return { yacht, held, members: Object.values(f.members).map((member) => member.id) };
  };

  /** Organization A with a little of everything too, so its pages have rows to show. */
  const fillA = async (f: AdminFixture) => {
    await ok(f, 'Bo', '@Li 10 for the launch');
    const created = await f.services.desk.catalog.create(f.organizationId, {
      name: 'Coffee',
      pointsCost: 10,
      priceMinor: 300,
    });
    if (!created.ok) throw new Error(created.message);
    await f.earn('Li', 100);
    await ok(f, 'Li', `redeem #${created.value.id}`);
    return { coffee: created.value.id };
  };

  /** A refusal: a 404 page, or a redirect to a page that shows a refused notice. */
  const expectRefused = async (client: ConsoleClient, page: ConsolePage, what: string) => {
    if (page.status === 404) return;
    expect(page.status, what).toBe(303);
    const shown = await client.follow(page);
    expect(shown.html, what).toContain('<p class="notice refused" role="alert">');
    for (const word of B_WORDS) expect(shown.html, what).not.toContain(word);
  };

  it('answers 404 or refuses every route given an id of another organization, changing nothing there', async () => {
    const a = await orgs.organization();
    const other = b as AdminFixture;
    const { yacht, held, members } = bIds as NonNullable<typeof bIds>;
    const { coffee } = await fillA(a);
    const { client: ada } = await open('Ada', { fixture: a });
    const beforeB = await other.snapshot();
    const auditB = await other.audit();
    const beforeA = await a.snapshot();

    for (const id of members) {
      const page = await ada.get(`/console/people/${id}`);
      expect(page.status, `person ${id}`).toBe(404);
      for (const word of B_WORDS) expect(page.html).not.toContain(word);
    }
    const item = await ada.get(`/console/catalog/${yacht}`);
    expect(item.status).toBe(404);
    expect(item.html).not.toContain('Yacht');

    const li = a.members.Li?.id as number;
    const [person] = members;
    const posts: Array<[string, Record<string, string>]> = [
      [`/console/people/${person}/roles`, { role: 'admin', change: 'grant' }],
      [`/console/people/${person}/roles`, { role: 'hr', change: 'revoke' }],
      [`/console/people/${person}/adjust`, { amount: '50', reason: 'across', key: key('form') }],
      [`/console/people/${person}/adjust`, { amount: '-5', reason: 'across', key: key('form') }],
      [`/console/people/${person}/redeem`, { reward: String(yacht), key: key('form') }],
      [`/console/people/${person}/redeem`, { reward: String(coffee), key: key('form') }],
      // One of A's people, with B's reward.
      [`/console/people/${li}/redeem`, { reward: String(yacht), key: key('form') }],
      [
        `/console/catalog/${yacht}`,
        { name: 'Renamed', pointsCost: '1', price: '0.01', status: 'active', fulfilment: 'manual' },
      ],
      [`/console/catalog/${yacht}/stock`, { stock: '0', from: 'item' }],
      [`/console/catalog/${yacht}/retire`, {}],
    ];
    for (const id of held) {
      posts.push([`/console/redemptions/${id}/fulfil`, {}]);
      posts.push([`/console/redemptions/${id}/reject`, { reason: 'not yours' }]);
    }
    for (const [path, fields] of posts) {
      await ada.get('/console');
      await expectRefused(ada, await ada.post(path, fields), path);
    }

    expect(await other.snapshot()).toEqual(beforeB);
    expect(await other.audit()).toEqual(auditB);
    expect(await a.snapshot()).toEqual(beforeA);
  });

  it('shows nobody and nothing of another organization on any of its pages', async () => {
    const a = await orgs.organization();
    const { yacht, held, members } = bIds as NonNullable<typeof bIds>;
    await fillA(a);
    const { client: ada } = await open('Ada', { fixture: a });
    const thisMonth = monthOf(new Date(), 'Europe/Lisbon');
    const pages = [
      '/console',
      '/console/people',
      '/console/people?q=o',
      '/console/billing',
      '/console/insights',
      '/console/audit',
      '/console/audit.csv',
      '/console/catalog',
      '/console/redemptions?status=all',
      `/console/redemptions?status=all&member=${members[2]}`,
      `/console/redemptions?status=all&item=${yacht}`,
      `/console/redemptions?status=all&before=${(held[1] as number) + 1}`,
    ];
    // The statement's export of this month, in which B has a charge, names nothing of B.
    const exported = await ada.get(`/console/billing/${thisMonth}.csv`);
    expect(exported.status).toBe(200);
    for (const word of B_WORDS) expect(exported.html, `statement CSV: ${word}`).not.toContain(word);
    for (const path of pages) {
      const page = await ada.get(path);
      expect(page.status, path).toBe(200);
      for (const word of B_WORDS) expect(page.html, `${path}: ${word}`).not.toContain(word);
    }
    // The pages do show A's own rows: the checks above looked where B's would be.
    expect((await ada.get('/console/people')).html).toContain('>Li</a>');
    expect((await ada.get('/console/redemptions?status=all')).html).toContain('Coffee');
    // And B's own pages show each of B's words: they would be seen if they leaked.
    const { client: zoltan } = await open('Zoltan', { fixture: b as AdminFixture });
    let seenByB = '';
    for (const path of pages.slice(0, 9)) seenByB += (await zoltan.get(path)).html;
    seenByB += (await zoltan.get(`/console/people/${members[1]}`)).html;
    for (const word of B_WORDS) expect(seenByB, word).toContain(word);
    // B's own statement export names its charge: A's would show it, had it leaked.
    const statementOfB = await zoltan.get(`/console/billing/${thisMonth}.csv`);
    expect(statementOfB.status).toBe(200);
    expect(statementOfB.html).toContain('Yacht of Elsewhere');
    expect(statementOfB.html).toContain('Xiomara');
  });
});
