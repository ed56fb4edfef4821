import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { createMember, type Member } from '../../../src/directory/members.ts';
import { linkIdentity } from '../../../src/directory/platform-identities.ts';
import {
  connectWorkspace,
  readWorkspaceWithMembers,
  slackIdentitiesOf,
  slackIdsOf,
} from '../../../src/slack/slack-workspaces.ts';
import { TeamsConversations } from '../../../src/teams/teams-conversations.ts';
import { connectTenant, TeamsTenants } from '../../../src/teams/teams-tenants.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { preparedPlans } from '../../support/prepared-plans.ts';

/**
 * Every chat command reads its workspace or tenant with its people in one prepared
 * statement. Postgres plans a prepared statement for its values five times, then keeps
 * one plan for all values when that costs no more than those: the people's list must be
 * one it can count in that plan, or it plans every command afresh (0.1-0.3 ms each).
 */
describe("a chat command's workspace or tenant and people, read on postgres", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** A workspace of `count` people, each with a Slack identity: U0, U1, and so on. */
  async function slackPeople(teamName: string, count: number) {
    const teamId = `T${randomUUID()}`;
    const workspace = await connectWorkspace(db, {
      teamId,
      teamName,
      enterpriseId: null,
      botUserId: 'UBOT',
    });
    const members = new Map<string, Member>();
    for (let index = 0; index < count; index++) {
      const created = await createMember(db, workspace.organizationId, {
        displayName: `${teamName} ${index}`,
      });
      if (!created.ok) throw new Error(created.message);
      const userId = `U${index}`;
      await linkIdentity(
        db,
        { platform: 'slack', tenantId: teamId, userId },
        { organizationId: workspace.organizationId, memberId: created.value.id },
      );
      members.set(userId, created.value);
    }
    return { teamId, workspace, members };
  }

  it('plans a Slack command’s once per count of people, and reads a long list whole', async () => {
    const { teamId, workspace, members } = await slackPeople('Plans', 10);
    const plans = await preparedPlans(db, 'from slack_workspaces w', async (connection) => {
      const read = await readWorkspaceWithMembers(connection, teamId, ['U1', 'U2', 'UNEW']);
      expect(read?.members).toEqual(
        new Map([
          ['U1', members.get('U1')],
          ['U2', members.get('U2')],
          ['UNEW', null],
        ]),
      );
    });
    expect(plans.custom).toBeLessThanOrEqual(5);
    expect(plans.generic).toBeGreaterThanOrEqual(7);

    // More people than get a statement of their own: one array, all of them read.
    const everyone = [...members.keys(), 'UNEW'];
    const read = await readWorkspaceWithMembers(db, teamId, everyone);
    expect(read?.workspace).toEqual(workspace);
    expect(read?.members).toEqual(new Map([...members, ['UNEW', null]]));
  });

  it('plans a notification’s look-ups of its people once: their Slack ids, and Teams chats', async () => {
    const { teamId, workspace, members } = await slackPeople('Sends', 3);
    const organizationId = workspace.organizationId;
    const conversations = new TeamsConversations(db);
    const tenantId = randomUUID();
    await connectTenant(db, tenantId, organizationId);
    const ids = [...members.values()].map((member) => member.id);
    for (const [index, memberId] of ids.entries()) {
      await conversations.remember({
        organizationId,
        tenantId,
        memberId,
        kind: 'personal',
        reference: {
          conversation: { id: `a:${index}` } as never,
          serviceUrl: 'https://teams.test/',
        },
      });
    }
    // A company's worth of others, with statistics as a server's autovacuum keeps them: at
    // this size Postgres plans a list passed as one array value afresh on every run (and
    // without statistics, the plan it kept for one scanned every identity).
    await sql`insert into members (organization_id, display_name)
      select ${organizationId}, 'Crowd ' || n from generate_series(1, 1000) as n`.execute(db);
    await sql`insert into platform_identities (platform, tenant_id, user_id, organization_id, member_id)
      select 'slack', ${teamId}, 'UC' || id, organization_id, id from members
      where organization_id = ${organizationId} and display_name like 'Crowd %'`.execute(db);
    await sql`insert into teams_conversations
        (organization_id, tenant_id, conversation_id, kind, member_id, reference)
      select organization_id, ${tenantId}, 'c:' || id, 'personal', id, '{}'::jsonb from members
      where organization_id = ${organizationId} and display_name like 'Crowd %'`.execute(db);
    await sql`analyze members, platform_identities, slack_workspaces, teams_conversations`.execute(
      db,
    );
    const [ana, bo, cy] = ids as [number, number, number];
    const cases: Array<[string, (connection: Database) => Promise<void>]> = [
      [
        'from "platform_identities" as "p"',
        async (connection) => {
          const found = await slackIdentitiesOf(connection, organizationId, [ana, cy]);
          expect(found.map((identity) => [identity.memberId, identity.userId])).toEqual([
            [ana, 'U0'],
            [cy, 'U2'],
          ]);
        },
      ],
      [
        'from "platform_identities" where',
        async (connection) => {
          const found = await slackIdsOf(connection, workspace, [bo, cy]);
          expect(found).toEqual(
            new Map([
              [bo, 'U1'],
              [cy, 'U2'],
            ]),
          );
        },
      ],
      [
        'from "teams_conversations"',
        async (connection) => {
          const chats = await new TeamsConversations(connection).personalChats(organizationId, [
            ana,
            bo,
          ]);
          expect([...chats].map(([id, chat]) => [id, chat.conversation?.id])).toEqual([
            [ana, 'a:0'],
            [bo, 'a:1'],
          ]);
        },
      ],
    ];
    for (const [statement, read] of cases) {
      const plans = await preparedPlans(db, statement, read);
      expect(plans.custom, statement).toBeLessThanOrEqual(5);
      expect(plans.generic, statement).toBeGreaterThanOrEqual(7);
    }
  });

  it('plans a Teams message’s once per count of mentions, none included', async () => {
    const tenantId = randomUUID();
    const tenant = await connectTenant(db, tenantId);
    const created = await createMember(db, tenant.organizationId, { displayName: 'Ana' });
    if (!created.ok) throw new Error(created.message);
    const aadObjectId = randomUUID();
    await linkIdentity(
      db,
      { platform: 'teams', tenantId, userId: aadObjectId },
      { organizationId: tenant.organizationId, memberId: created.value.id },
    );
    for (const mentions of [[`29:${randomUUID()}`, `29:${randomUUID()}`], []]) {
      const plans = await preparedPlans(db, 'from teams_tenants t', async (connection) => {
        const tenants = new TeamsTenants(connection, { tenants: [tenantId], any: false });
        const read = await tenants.withMember(tenantId, aadObjectId, mentions);
        expect(read?.member).toEqual(created.value);
        expect(read?.mentioned).toEqual(new Map());
      });
      expect(plans.custom).toBeLessThanOrEqual(5);
      expect(plans.generic).toBeGreaterThanOrEqual(7);
    }
  });
});
