import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { createMember } from '../../../src/directory/members.ts';
import { OutsiderUser } from '../../../src/directory/outsiders.ts';
import { findMemberByIdentity, linkIdentity } from '../../../src/directory/platform-identities.ts';
import { SlackDirectory } from '../../../src/slack/slack-directory.ts';
import { FixedInstallation, SlackInstallations } from '../../../src/slack/slack-installations.ts';
import { connectWorkspace, type SlackWorkspace } from '../../../src/slack/slack-workspaces.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';
import { until } from '../../support/until.ts';

describe('Slack users as members, on postgres', () => {
  let db: Database;
  let fake: FakeSlackApi;
  let workspace: SlackWorkspace;
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const directory = () =>
    new SlackDirectory(db, tokenInstallations(db, fake, workspace), pino({ level: 'silent' }));

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    fake = await new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' }).start();
    workspace = await connectWorkspace(db, {
      teamId,
      teamName: 'Acme',
      enterpriseId: null,
      botUserId: 'UBOT',
    });
  });
  afterAll(async () => {
    await fake?.stop();
    await db?.destroy();
  });

  it('creates one member when several processes meet a new user at once', async () => {
    fake.users.set('URACE', {
      id: 'URACE',
      name: 'Race',
      profile: { display_name: 'Race', email: 'race@acme.example' },
    });
    const members = await Promise.all(
      Array.from({ length: 8 }, () => directory().member(workspace, 'URACE')),
    );
    expect(new Set(members.map((member) => member.id)).size).toBe(1);
    const rows = await db
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', workspace.organizationId)
      .where('display_name', '=', 'Race')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('joins an existing member with the same email, and flags guests, bots and the deactivated', async () => {
    const existing = await createMember(db, workspace.organizationId, {
      displayName: 'Ana (Teams)',
      email: 'ana@acme.example',
    });
    if (!existing.ok) throw new Error(existing.message);
    fake.users.set('UANA', {
      id: 'UANA',
      name: 'ana',
      profile: { display_name: 'Ana', email: 'Ana@Acme.example' },
    });
    fake.users.set('UGUEST', {
      id: 'UGUEST',
      name: 'g',
      is_ultra_restricted: true,
      profile: { display_name: 'Gus' },
    });
    fake.users.set('UGONE', {
      id: 'UGONE',
      name: 'gone',
      deleted: true,
      profile: { display_name: 'Gone' },
    });
    const slack = directory();
    expect((await slack.member(workspace, 'UANA')).id).toBe(existing.value.id);
    expect(await slack.member(workspace, 'UGUEST')).toMatchObject({
      isGuest: true,
      status: 'active',
    });
    expect(await slack.member(workspace, 'UGONE')).toMatchObject({ status: 'deactivated' });
    fake.users.set('UTOKYO', {
      id: 'UTOKYO',
      name: 'yuki',
      tz: 'Asia/Tokyo',
      profile: { display_name: 'Yuki' },
    });
    fake.users.set('UMARS', {
      id: 'UMARS',
      name: 'mars',
      tz: 'Mars/Olympus',
      profile: { display_name: 'Marvin' },
    });
    expect(await slack.member(workspace, 'UTOKYO')).toMatchObject({ timezone: 'Asia/Tokyo' });
    expect(await slack.member(workspace, 'UMARS')).toMatchObject({ timezone: null });
  });

  /**
   * An email joins a Slack user to a member only when the user's home is an installation of
   * the same organization: this workspace, another workspace connected to it, or (Grid) a
   * workspace of the enterprise connected to it. Anyone else is an outsider, email or not.
   */
  it('joins by email only users whose home workspace or enterprise is connected to the organization', async () => {
    const enterpriseId = `E${randomUUID().slice(0, 8).toUpperCase()}`;
    const gridTeam = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const grid = await connectWorkspace(db, {
      teamId: gridTeam,
      teamName: 'Acme Grid',
      enterpriseId,
      botUserId: 'UBOT2',
    });
    const sister = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    await connectWorkspace(
      db,
      { teamId: sister, teamName: 'Acme Labs', enterpriseId: null, botUserId: 'UBOT3' },
      workspace.organizationId,
    );
    // Another company, on this same Plaudit, with a workspace of its own.
    const rival = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const rivalWorkspace = await connectWorkspace(db, {
      teamId: rival,
      teamName: 'Rival',
      enterpriseId: null,
      botUserId: 'UBOT4',
    });
    const kim = await createMember(db, workspace.organizationId, {
      displayName: 'Kim',
      email: 'kim@acme.example',
    });
    if (!kim.ok) throw new Error(kim.message);
    const profile = { display_name: 'Kim', email: 'kim@acme.example' };
    fake.users.set('UKIMLABS', { id: 'UKIMLABS', name: 'kim', team_id: sister, profile });
    fake.users.set('UKIMRIVAL', { id: 'UKIMRIVAL', name: 'kim', team_id: rival, profile });
    fake.users.set('UKIMCONNECT', {
      id: 'UKIMCONNECT',
      name: 'kim',
      team_id: teamId,
      is_stranger: true,
      profile,
    });
    const slack = directory();
    expect((await slack.member(workspace, 'UKIMLABS')).id).toBe(kim.value.id);
    await expect(slack.member(workspace, 'UKIMRIVAL')).rejects.toThrow(OutsiderUser);
    await expect(slack.member(workspace, 'UKIMCONNECT')).rejects.toThrow(OutsiderUser);
    // In its own organization, the rival's user is a member of the rival's, not Kim.
    const rivalSlack = new SlackDirectory(
      db,
      tokenInstallations(db, fake, rivalWorkspace),
      pino({ level: 'silent' }),
    );
    const rivalKim = await rivalSlack.member(rivalWorkspace, 'UKIMRIVAL');
    expect(rivalKim.organizationId).toBe(rivalWorkspace.organizationId);
    expect(rivalKim.id).not.toBe(kim.value.id);

    // Grid: a user of another workspace of the connected enterprise belongs; one of another
    // enterprise does not.
    fake.users.set('UGRIDLEE', {
      id: 'UGRIDLEE',
      name: 'lee',
      team_id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      enterprise_user: { enterprise_id: enterpriseId },
      profile: { display_name: 'Lee', email: 'lee@grid.example' },
    });
    fake.users.set('UGRIDOUT', {
      id: 'UGRIDOUT',
      name: 'out',
      team_id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      enterprise_user: { enterprise_id: `E${randomUUID().slice(0, 8).toUpperCase()}` },
      profile: { display_name: 'Out', email: 'out@grid.example' },
    });
    const gridSlack = new SlackDirectory(
      db,
      tokenInstallations(db, fake, grid),
      pino({ level: 'silent' }),
    );
    expect(await gridSlack.member(grid, 'UGRIDLEE')).toMatchObject({
      organizationId: grid.organizationId,
      displayName: 'Lee',
    });
    await expect(gridSlack.member(grid, 'UGRIDOUT')).rejects.toThrow(OutsiderUser);
    const linked = await db
      .selectFrom('platform_identities')
      .select('user_id')
      .where('user_id', 'in', ['UKIMRIVAL', 'UKIMCONNECT', 'UGRIDOUT'])
      .where('organization_id', '!=', rivalWorkspace.organizationId)
      .execute();
    expect(linked).toEqual([]);
  });

  it('unlinks an outsider that was linked to a member before outsiders were told apart', async () => {
    const admin = await createMember(db, workspace.organizationId, {
      displayName: 'Ada',
      email: 'ada.linked@acme.example',
      roles: ['member', 'admin'],
    });
    if (!admin.ok) throw new Error(admin.message);
    // What first sight did before: another company's user with Ada's email, linked to her.
    const identity = { platform: 'slack' as const, tenantId: teamId, userId: 'UMALLORY' };
    await linkIdentity(db, identity, {
      organizationId: workspace.organizationId,
      memberId: admin.value.id,
    });
    fake.users.set('UMALLORY', {
      id: 'UMALLORY',
      name: 'mallory',
      team_id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      profile: { display_name: 'Mallory', email: 'ada.linked@acme.example' },
    });
    const slack = directory();
    // Known, so answered from the database at once; Slack's record is read in the background.
    expect((await slack.member(workspace, 'UMALLORY')).id).toBe(admin.value.id);
    await until(async () => (await findMemberByIdentity(db, identity)) === undefined);
    await expect(slack.member(workspace, 'UMALLORY')).rejects.toThrow(OutsiderUser);
    // Ada herself is untouched.
    const ada = await db
      .selectFrom('members')
      .select(['display_name', 'roles'])
      .where('id', '=', admin.value.id)
      .executeTakeFirstOrThrow();
    expect(ada).toEqual({ display_name: 'Ada', roles: ['member', 'admin'] });
  });

  it("refreshes a known member from Slack's record: name, email, and the day they left", async () => {
    const user = {
      id: 'UROSA',
      name: 'rosa',
      profile: { display_name: 'Rosa', email: 'rosa@acme.example' },
    };
    fake.users.set('UROSA', user);
    // Every sight is past its time to live: each one refreshes in the background.
    const slack = new SlackDirectory(
      db,
      tokenInstallations(db, fake, workspace),
      pino({ level: 'silent' }),
      undefined,
      -1,
    );
    const rosa = await slack.member(workspace, 'UROSA');
    fake.users.set('UROSA', {
      ...user,
      deleted: true,
      profile: { display_name: 'Rosa M.', email: 'rosa.m@acme.example' },
    });
    await slack.member(workspace, 'UROSA');
    const row = () =>
      db
        .selectFrom('members')
        .select(['display_name', 'email', 'status', 'deactivated_at'])
        .where('id', '=', rosa.id)
        .executeTakeFirstOrThrow();
    await until(async () => (await row()).status === 'deactivated');
    const left = await row();
    // The day she left starts her window to redeem what she earned.
    expect(left).toMatchObject({ display_name: 'Rosa M.', email: 'rosa.m@acme.example' });
    expect(left.deactivated_at).toBeInstanceOf(Date);
  });
});

/** The test bot token as the one fixed installation, talking to the fake Slack API. */
function tokenInstallations(
  db: Database,
  fake: FakeSlackApi,
  workspace: SlackWorkspace,
): SlackInstallations {
  return new SlackInstallations(
    db,
    new FixedInstallation(db, 'xoxb-test', workspace),
    { slackApiUrl: `${fake.url}/api/`, retryConfig: { retries: 0 } },
    pino({ level: 'silent' }),
  );
}
