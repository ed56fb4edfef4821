import { randomUUID } from 'node:crypto';
import * as bolt from '@slack/bolt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { createMember } from '../../../src/directory/members.ts';
import { SlackDirectory } from '../../../src/slack/slack-directory.ts';
import { connectWorkspace, type SlackWorkspace } from '../../../src/slack/slack-workspaces.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';

describe('Slack users as members, on postgres', () => {
  let db: Database;
  let fake: FakeSlackApi;
  let workspace: SlackWorkspace;
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const directory = () =>
    new SlackDirectory(
      db,
      new bolt.webApi.WebClient('xoxb-test', {
        slackApiUrl: `${fake.url}/api/`,
        retryConfig: { retries: 0 },
      }),
      pino({ level: 'silent' }),
    );

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
});
