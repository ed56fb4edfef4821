import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlashCommand,
  type SlashCommand,
  slashCommandText,
} from '../support/slack-requests.ts';
import { statementsDuring } from '../support/statements-sent.ts';

/**
 * What a slash command reads before it does anything: its workspace (its organization, which
 * `admin link` may change), the member of the person who typed it and those of the people it
 * names. At 200 commands a second each round trip to Postgres counts, so they are read in
 * one statement, once the command is admitted (a shed command reads nothing).
 */
describe('a Slack slash command reads its workspace and people in one statement', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const send = (user: string, text: string) => {
    const body: SlashCommand = {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `reads-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    };
    return postSlashCommand(plaudit.url, SIGNING_SECRET, body);
  };

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UJOSE', 'José'],
    ] as const) {
      fake.users.set(id, { id, name, profile: { display_name: name } });
    }
    plaudit = await startSlackPlaudit(fake);
    // Everyone has met Plaudit once: members, allowance periods, settings read.
    for (const user of ['UANA', 'ULI', 'UJOSE']) await send(user, 'balance');
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('reads the workspace, the giver and every recipient in one statement, then gives in one more', async () => {
    let text = '';
    const statements = await statementsDuring(async () => {
      text = await slashCommandText(await send('UANA', '<@ULI> <@UJOSE> 2 for the launch'), fake);
    });
    expect(text).toContain('You gave');
    const reads = statements.filter((statement) =>
      /\b(slack_workspaces|platform_identities|members)\b/.test(statement),
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/slack_workspaces.*platform_identities.*members/s);
    const gives = statements.filter((statement) => /insert into ledger_requests/.test(statement));
    expect(gives).toHaveLength(1);
  });
});
