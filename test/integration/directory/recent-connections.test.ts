import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import {
  connectWorkspace,
  connectWorkspaceIn,
  findWorkspace,
  workspacesOf,
} from '../../../src/slack/slack-workspaces.ts';
import { openTestDatabase } from '../../support/databases.ts';

describe('Slack workspaces as a process reads them again and again, on postgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const bot = (teamId: string, botUserId: string) => ({
    teamId,
    teamName: 'Acme',
    enterpriseId: null,
    botUserId,
  });

  it('sees at once a workspace this process connected or changed, even just after reading it', async () => {
    const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    // Not found, then connected: found on the next read.
    expect(await findWorkspace(db, teamId)).toBeUndefined();
    const workspace = await connectWorkspace(db, bot(teamId, 'UBOT1'));
    expect(await findWorkspace(db, teamId)).toEqual(workspace);
    expect(await workspacesOf(db, workspace.organizationId)).toEqual([workspace]);
    // Reconnected with another bot user (a reinstall): both reads say so at once.
    await db.transaction().execute((trx) => connectWorkspaceIn(trx, bot(teamId, 'UBOT2')));
    expect((await findWorkspace(db, teamId))?.botUserId).toBe('UBOT2');
    expect((await workspacesOf(db, workspace.organizationId))[0]?.botUserId).toBe('UBOT2');
  });

  it('finds a workspace another process connected right after this one found none', async () => {
    const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const elsewhere = await connectWorkspace(db, bot(`T${randomUUID().slice(0, 8)}`, 'UBOT'));
    expect(await findWorkspace(db, teamId)).toBeUndefined();
    // Written as another process writes it: this one is not told.
    await db
      .insertInto('slack_workspaces')
      .values({
        team_id: teamId,
        enterprise_id: null,
        organization_id: elsewhere.organizationId,
        bot_user_id: 'UOTHER',
      })
      .execute();
    expect((await findWorkspace(db, teamId))?.botUserId).toBe('UOTHER');
  });
});
