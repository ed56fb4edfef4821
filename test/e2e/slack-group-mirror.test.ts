import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

describe('Slack user groups mirrored as groups', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let deliveries = 0;

  // Bo is named the admin (by an email of this workspace alone).
  const start = () =>
    startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: `ubo@${teamId.toLowerCase()}.example` });
  const command = async (user: string, text: string) => {
    deliveries += 1;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${deliveries}`,
      response_url: `${fake.url}/respond/${deliveries}`,
    });
    expect(response.status).toBe(200);
    return slashCommandText(response, fake);
  };
  const event = async (payload: Record<string, unknown>) => {
    deliveries += 1;
    const response = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev${deliveries}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { ...payload, event_ts: `${Date.now() / 1000}` },
    });
    expect(response.status).toBe(200);
  };
  const subteam = (id: string, handle: string, users: string[], dateDelete = 0) => ({
    id,
    team_id: teamId,
    is_usergroup: true,
    is_subteam: true,
    name: handle.toUpperCase(),
    handle,
    is_external: false,
    date_create: 1_700_000_000,
    date_update: Math.floor(Date.now() / 1000),
    date_delete: dateDelete,
    auto_provision: false,
    created_by: 'UANA',
    users,
    user_count: users.length,
  });

  /** The organization's Slack-mirrored groups, their members as Slack user ids. */
  async function mirrored(): Promise<Array<{ name: string; externalId: string; users: string[] }>> {
    const { rows } = await sql<{ name: string; external_id: string; users: string[] }>`
      select g.name, g.external_id,
        array(select p.user_id from group_members gm
          join platform_identities p on p.member_id = gm.member_id
            and p.platform = 'slack' and p.tenant_id = ${teamId}
          where gm.group_id = g.id order by p.user_id) as users
      from groups g join slack_workspaces w on w.organization_id = g.organization_id
      where w.team_id = ${teamId} and g.source = 'slack' order by g.name`.execute(plaudit.db);
    return rows.map((row) => ({ name: row.name, externalId: row.external_id, users: row.users }));
  }
  const usersOf = async (externalId: string) =>
    (await mirrored()).find((group) => group.externalId === externalId)?.users;
  async function mirrorAudit(): Promise<Array<{ via: string; actor: number | null }>> {
    const { rows } = await sql<{ via: string; actor: number | null }>`
      select a.via, a.actor_member_id as actor from audit_log a
      join slack_workspaces w on w.organization_id = a.organization_id
      where w.team_id = ${teamId} and a.action = 'group.mirror' and a.outcome = 'done'
      order by a.id`.execute(plaudit.db);
    return rows;
  }
  async function rolesOf(user: string): Promise<string[]> {
    const { rows } = await sql<{ roles: string[] }>`
      select m.roles from members m join platform_identities p on p.member_id = m.id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${user}`.execute(
      plaudit.db,
    );
    return rows[0]?.roles ?? [];
  }

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UJOSE', 'José'],
      ['UBO', 'Bo'],
    ] as const) {
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${id}@${teamId.toLowerCase()}.example` },
      });
    }
    fake.groups.set('SDESIGN', ['ULI', 'UANA']);
    fake.groupInfo.set('SDESIGN', { handle: 'design', name: 'Design team' });
    // Disabled before Plaudit came: not brought in.
    fake.groups.set('SOLD', ['UBO']);
    fake.groupInfo.set('SOLD', { handle: 'old', date_delete: 1_700_000_000 });
    plaudit = await start();
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('waits for the organization to have an admin before mirroring on its own', async () => {
    await plaudit.settled();
    expect(await mirrored()).toEqual([]);
    // Nobody was looked up: Bo becomes admin when Plaudit first sees him.
    expect(fake.callsTo('users.info')).toHaveLength(0);
  });

  it('mirrors every enabled user group on groups sync, with its users as members', async () => {
    // Bo is named by PLAUDIT_INITIAL_ADMINS: his first command finds him admin.
    await command('UBO', 'balance');
    expect(await rolesOf('UBO')).toContain('admin');
    expect(await command('UBO', 'admin groups sync')).toBe(
      'Slack user groups: 1 mirrored, 1 changed.',
    );
    expect(await mirrored()).toEqual([
      { name: 'design', externalId: 'SDESIGN', users: ['UANA', 'ULI'] },
    ]);
    expect(fake.callsTo('usergroups.list').at(-1)?.body).toMatchObject({
      include_users: 'true',
      include_disabled: 'true',
    });
    // Ana and Li were seen for the first time by the mirror: members, not admins.
    expect(await rolesOf('UANA')).toEqual(['member']);
    const [entry] = await mirrorAudit();
    expect(entry).toEqual({ via: 'slack', actor: expect.any(Number) });
    // A second sync finds nothing new, and writes nothing to the audit log.
    expect(await command('UBO', 'admin groups sync')).toBe(
      'Slack user groups: 1 mirrored, 0 changed.',
    );
    expect(await mirrorAudit()).toHaveLength(1);
  });

  it('follows subteam_members_changed: who joined is in, who left is out', async () => {
    fake.groups.set('SDESIGN', ['ULI', 'UJOSE']);
    await event({
      type: 'subteam_members_changed',
      subteam_id: 'SDESIGN',
      team_id: teamId,
      date_previous_update: 1_700_000_000,
      date_update: Math.floor(Date.now() / 1000),
      added_users: ['UJOSE'],
      added_users_count: 1,
      removed_users: ['UANA'],
      removed_users_count: 1,
    });
    await until(async () => (await usersOf('SDESIGN'))?.join() === 'UJOSE,ULI');
    expect(fake.callsTo('usergroups.users.list').at(-1)?.body).toMatchObject({
      usergroup: 'SDESIGN',
    });
    expect((await mirrorAudit()).at(-1)).toEqual({ via: 'system', actor: null });
  });

  it('makes a group on subteam_created and empties it when the user group is disabled', async () => {
    fake.groups.set('SQA', ['UANA', 'UBO']);
    fake.groupInfo.set('SQA', { handle: 'qa' });
    await event({ type: 'subteam_created', subteam: subteam('SQA', 'qa', ['UANA', 'UBO']) });
    await until(async () => (await usersOf('SQA'))?.join() === 'UANA,UBO');

    fake.groupInfo.set('SQA', { handle: 'qa', date_delete: Math.floor(Date.now() / 1000) });
    await event({
      type: 'subteam_updated',
      subteam: subteam('SQA', 'qa', ['UANA', 'UBO'], Math.floor(Date.now() / 1000)),
    });
    await until(async () => (await usersOf('SQA'))?.length === 0);
    // Kept, so that rules naming it still name it if it is enabled again.
    expect((await mirrored()).map((group) => group.name)).toEqual(['design', 'qa']);
  });

  it('refuses to change a mirrored group by hand, and says where to change it', async () => {
    expect(await command('UBO', 'admin groups add design <@UANA>')).toBe(
      'design follows a Slack user group, so it cannot be changed here; change it in Slack and Plaudit follows.',
    );
    expect(await usersOf('SDESIGN')).toEqual(['UJOSE', 'ULI']);
  });

  it('mirrors the user groups at start once the organization has an admin', async () => {
    await plaudit.close();
    fake.groups.set('SDESIGN', ['UANA']);
    const listed = fake.callsTo('usergroups.list').length;
    plaudit = await start();
    await plaudit.settled();
    expect(fake.callsTo('usergroups.list').length).toBe(listed + 1);
    expect(await usersOf('SDESIGN')).toEqual(['UANA']);
  });
});
