import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();
const CODE = /`([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})`/;

/**
 * One multi-tenant Teams bot serving several Microsoft 365 tenants: each its own
 * organization, with its own ledger, until an admin links one to another.
 */
describe('a multi-tenant Teams bot', () => {
  const connector = new FakeBotConnector();
  /** Two companies, a third tenant (Contoso's acquisition, not used yet) and one not allowed. */
  const [contoso, fabrikam, acquired, stranger] = [
    randomUUID(),
    randomUUID(),
    randomUUID(),
    randomUUID(),
  ] as const;
  const personOf = (tenantId: string) => {
    const add = tenantPeople(connector, tenantId);
    return (name: string, extra: Partial<FakeTeamsUser> = {}) => add(name, { tenantId, ...extra });
  };
  const ana = personOf(contoso)('Ana');
  const li = personOf(contoso)('Li');
  // Fabrikam's Ana has the same email as Contoso's: another company's person all the same.
  const fabAna = personOf(fabrikam)('Ana', { email: ana.email });
  const kim = personOf(fabrikam)('Kim');
  const bea = personOf(acquired)('Bea');
  // Li, with an account in the acquired tenant too: one person once the tenants are linked.
  const acquiredLi = personOf(acquired)('Li', { email: li.email });
  const eve = personOf(stranger)('Eve');
  let plaudit: RunningPlaudit;
  const scenes = new Map<string, TeamsScene>();

  /** Sends a message from the person's tenant; resolves with the bot's answer to it. */
  async function say(
    on: RunningPlaudit,
    tenantId: string,
    from: FakeTeamsUser,
    text: string,
    mentions: FakeTeamsUser[] = [],
  ): Promise<string> {
    let scene = scenes.get(tenantId);
    if (!scene) {
      scene = teamsScene(connector, APP_ID, tenantId);
      scenes.set(tenantId, scene);
    }
    const message = teamsMessage(
      scene,
      from,
      text,
      mentions.length > 0
        ? { mentions, conversationType: 'groupChat', conversationId: `19:${tenantId}@thread.v2` }
        : {},
    );
    const response = await postActivity(on.url, message, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await on.settled();
    const reply = connector.answersTo(message)[0]?.activity;
    return String(reply?.summary ?? reply?.text);
  }

  async function organizationOf(tenantId: string): Promise<number | undefined> {
    const { rows } = await sql<{ organization_id: number }>`
      select organization_id from teams_tenants where tenant_id = ${tenantId}`.execute(plaudit.db);
    return rows[0]?.organization_id;
  }
  /**
   * What a tenant would leave behind had it been taken in: an organization named after it,
   * its people's identities. (The test database is shared with files running beside this
   * one, so counting every organization would count theirs too.)
   */
  const tracesOf = async (tenantId: string) => {
    const { rows } = await sql<{ organizations: number; identities: number }>`
      select
        (select count(*)::int from organizations
          where name = ${`Microsoft Teams (tenant ${tenantId.slice(0, 8)})`}) as organizations,
        (select count(*)::int from platform_identities
          where platform = 'teams' and tenant_id = ${tenantId}) as identities`.execute(plaudit.db);
    return rows[0];
  };

  beforeAll(async () => {
    await connector.start();
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: [contoso, fabrikam, acquired].join(',') },
      { PLAUDIT_INITIAL_ADMINS: [ana.email, kim.email, bea.email].join(',') },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('serves each allowed tenant as an organization of its own: kudos and balances stay in it', async () => {
    const organizations = [
      await organizationOf(contoso),
      await organizationOf(fabrikam),
      await organizationOf(acquired),
    ];
    expect(organizations.every((id) => id !== undefined)).toBe(true);
    expect(new Set(organizations).size).toBe(3);

    expect(await say(plaudit, contoso, ana, '<at>Li</at> 10 for the launch', [li])).toBe(
      'You gave 10 points to Li for the launch. You have 90 points left to give this month.',
    );
    // Fabrikam's Ana is not Contoso's, whatever her email: her own allowance, her own ledger.
    expect(await say(plaudit, fabrikam, fabAna, '<at>Kim</at> 5 for the review', [kim])).toBe(
      'You gave 5 points to Kim for the review. You have 95 points left to give this month.',
    );
    expect(await say(plaudit, fabrikam, fabAna, 'balance')).toMatch(
      /^You have 95 points left to give this month .* You have earned 0 points to spend\.$/,
    );
    expect(await say(plaudit, contoso, li, 'balance')).toMatch(
      /You have earned 10 points to spend\.$/,
    );
    expect(await say(plaudit, fabrikam, kim, 'balance')).toMatch(
      /You have earned 5 points to spend\.$/,
    );
    const { rows } = await sql<{ tenant_id: string; names: string[] }>`
      select t.tenant_id, array_agg(m.display_name order by m.display_name) as names
      from teams_tenants t join members m on m.organization_id = t.organization_id
      where t.tenant_id in (${contoso}, ${fabrikam})
      group by t.tenant_id`.execute(plaudit.db);
    expect(Object.fromEntries(rows.map((row) => [row.tenant_id, row.names]))).toEqual({
      [contoso]: ['Ana', 'Li'],
      [fabrikam]: ['Ana', 'Kim'],
    });
  });

  it('answers a tenant that is not allowed with the polite refusal, and makes it no organization', async () => {
    expect(await say(plaudit, stranger, eve, 'balance')).toBe(
      "Plaudit is not set up for your organization's Microsoft 365 tenant, so it cannot take kudos here. Ask your Plaudit admin to add it.",
    );
    expect(await organizationOf(stranger)).toBeUndefined();
    expect(await tracesOf(stranger)).toEqual({ organizations: 0, identities: 0 });
  });

  it("links a tenant to another with an admin's code: from the next message on, its people are that organization's", async () => {
    // Before: the acquired tenant's Li is a stranger to Contoso's points.
    expect(await say(plaudit, acquired, acquiredLi, 'balance')).toMatch(
      /You have earned 0 points to spend\.$/,
    );
    // Fabrikam gave points already: its admin cannot take it into Contoso.
    const forFabrikam = CODE.exec(await say(plaudit, contoso, ana, 'admin link'))?.[1];
    expect(forFabrikam).toBeDefined();
    expect(await say(plaudit, fabrikam, kim, `admin link ${forFabrikam}`)).toMatch(
      /^This organization already has points given, adjusted or redeemed, and linking would leave them behind/,
    );
    expect(await organizationOf(fabrikam)).not.toBe(await organizationOf(contoso));

    const code = CODE.exec(await say(plaudit, contoso, ana, 'admin link'))?.[1];
    expect(await say(plaudit, acquired, bea, `admin link ${code}`)).toMatch(
      /^This Teams tenant is now part of Microsoft Teams \(tenant [0-9a-f]{8}\): its people share/,
    );
    expect(await organizationOf(acquired)).toBe(await organizationOf(contoso));
    // The acquired tenant's Li is Contoso's Li now, by email: the same balance.
    expect(await say(plaudit, acquired, acquiredLi, 'balance')).toMatch(
      /You have earned 10 points to spend\.$/,
    );
    expect(await say(plaudit, acquired, bea, 'balance')).toMatch(
      /^You have 100 points left to give this month/,
    );
    // The code was used: Fabrikam cannot use it either.
    expect(await say(plaudit, fabrikam, kim, `admin link ${code}`)).toMatch(
      /^That link code was used already/,
    );
  });

  it('with TEAMS_ALLOWED_TENANTS=* and its opt-in, a tenant never seen gets an organization of its own', async () => {
    const hosting = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: '*' },
      { TEAMS_ALLOW_ANY_TENANT: 'true' },
    );
    try {
      const newcomer = randomUUID();
      const zoe = personOf(newcomer)('Zoe');
      const yan = personOf(newcomer)('Yan');
      expect(await say(hosting, newcomer, zoe, '<at>Yan</at> 3 for the welcome', [yan])).toBe(
        'You gave 3 points to Yan for the welcome. You have 97 points left to give this month.',
      );
      const organization = await organizationOf(newcomer);
      expect(organization).toBeDefined();
      for (const other of [contoso, fabrikam]) {
        expect(await organizationOf(other)).not.toBe(organization);
      }
      const { rows } = await sql<{ name: string; members: number }>`
        select o.name, (select count(*)::int from members m where m.organization_id = o.id) as members
        from organizations o where o.id = ${organization}`.execute(hosting.db);
      expect(rows).toEqual([
        { name: `Microsoft Teams (tenant ${newcomer.slice(0, 8)})`, members: 2 },
      ]);
    } finally {
      await hosting.close();
    }
  });
});
