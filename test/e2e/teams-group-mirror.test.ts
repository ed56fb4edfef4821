import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import {
  FakeBotConnector,
  type FakeTeam,
  type FakeTeamsUser,
} from '../support/fake-bot-connector.ts';
import {
  postActivity,
  type TeamEvent,
  type TeamsScene,
  teamsMessage,
  teamUpdate,
} from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

describe('Teams teams mirrored as groups', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  const jose = person('José');
  const gil = person('Gil', { userRole: 'guest' });
  // In the team through a shared channel: another tenant's, not this organization's.
  const outsider = person('Olga', { tenantId: randomUUID() });
  const team: FakeTeam = {
    id: `19:${randomUUID()}@thread.tacv2`,
    name: 'Launch',
    aadGroupId: randomUUID(),
    members: [ana.id, li.id, jose.id, outsider.id],
  };

  /** Posts an activity signed as the Bot Connector signs it; resolves once its work is done. */
  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
    return activity;
  }
  const teamEvent = (event: Omit<TeamEvent, 'team'>) =>
    send(
      teamUpdate(scene, ana, {
        ...event,
        team: { id: team.id, name: team.name, aadGroupId: team.aadGroupId },
      }),
    );
  /** What the bot answered Ana in her personal chat. */
  async function askAsAna(text: string, mentions: FakeTeamsUser[] = []): Promise<string> {
    const message = await send(teamsMessage(scene, ana, text, { mentions }));
    const [reply] = connector.answersTo(message);
    return (reply?.activity.text ?? reply?.activity.summary) as string;
  }

  /** The organization's Teams-mirrored groups, their members by name. */
  async function mirrored(): Promise<Array<{ name: string; externalId: string; names: string[] }>> {
    const { rows } = await sql<{ name: string; external_id: string; names: string[] }>`
      select g.name, g.external_id,
        array(select m.display_name from group_members gm join members m on m.id = gm.member_id
          where gm.group_id = g.id order by m.display_name) as names
      from groups g join teams_tenants t on t.organization_id = g.organization_id
      where t.tenant_id = ${tenantId} and g.source = 'teams' order by g.name`.execute(plaudit.db);
    return rows.map((row) => ({ name: row.name, externalId: row.external_id, names: row.names }));
  }
  async function mirrorAudit(): Promise<Array<{ via: string; actor: number | null }>> {
    const { rows } = await sql<{ via: string; actor: number | null }>`
      select a.via, a.actor_member_id as actor from audit_log a
      join teams_tenants t on t.organization_id = a.organization_id
      where t.tenant_id = ${tenantId} and a.action = 'group.mirror' and a.outcome = 'done'
      order by a.id`.execute(plaudit.db);
    return rows;
  }

  beforeAll(async () => {
    await connector.start();
    connector.teams.set(team.id, team);
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: ana.email ?? '' },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('waits for the organization to have an admin before mirroring a team it joins', async () => {
    await teamEvent({ eventType: 'teamMemberAdded', membersAdded: [{ id: scene.bot.id }] });
    // The bot greets the team; the team is not read yet.
    expect(connector.sentTo(team.id)).toHaveLength(1);
    expect(connector.pagedMemberCalls).toEqual([]);
    expect(await mirrored()).toEqual([]);
  });

  it('mirrors the team when people join it, its members a page at a time', async () => {
    // Ana is named by PLAUDIT_INITIAL_ADMINS: her first message finds her admin.
    await askAsAna('balance');
    team.members.push(gil.id);
    await teamEvent({ eventType: 'teamMemberAdded', membersAdded: [{ id: gil.id }] });
    expect(await mirrored()).toEqual([
      { name: 'Launch', externalId: team.id, names: ['Ana', 'Gil', 'José', 'Li'] },
    ]);
    // Five members, two a page.
    expect(connector.pagedMemberCalls).toEqual([team.id, team.id, team.id]);
    expect(await mirrorAudit()).toEqual([{ via: 'system', actor: null }]);
  });

  it('follows people leaving and the team being renamed', async () => {
    team.members = team.members.filter((id) => id !== li.id);
    await teamEvent({ eventType: 'teamMemberRemoved', membersRemoved: [{ id: li.id }] });
    expect((await mirrored())[0]?.names).toEqual(['Ana', 'Gil', 'José']);

    team.name = 'Launch crew';
    await teamEvent({ eventType: 'teamRenamed' });
    expect(await mirrored()).toEqual([
      { name: 'Launch crew', externalId: team.id, names: ['Ana', 'Gil', 'José'] },
    ]);
  });

  it('mirrors the teams it is in on groups sync', async () => {
    team.members.push(li.id);
    expect(await askAsAna('admin groups sync')).toBe('Teams teams: 1 mirrored, 1 changed.');
    expect((await mirrored())[0]?.names).toEqual(['Ana', 'Gil', 'José', 'Li']);
    expect((await mirrorAudit()).at(-1)).toEqual({ via: 'teams', actor: expect.any(Number) });
  });

  it('refuses to change the team’s group by hand, and says where to change it', async () => {
    expect(await askAsAna('admin groups remove "Launch crew" <at>Li</at>', [li])).toBe(
      'Launch crew follows a Microsoft Teams team, so it cannot be changed here; change it in Teams and Plaudit follows.',
    );
    expect((await mirrored())[0]?.names).toEqual(['Ana', 'Gil', 'José', 'Li']);
  });

  it('empties the group when the bot is removed from the team', async () => {
    const calls = connector.pagedMemberCalls.length;
    await teamEvent({ eventType: 'teamMemberRemoved', membersRemoved: [{ id: scene.bot.id }] });
    expect(await mirrored()).toEqual([{ name: 'Launch crew', externalId: team.id, names: [] }]);
    expect(connector.pagedMemberCalls).toHaveLength(calls);
  });
});
