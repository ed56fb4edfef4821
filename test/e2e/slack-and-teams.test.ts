import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, slackEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import { connectorToken, startTeamsPlaudit, teamsScene } from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

/**
 * A company on Slack and Teams at once, on one process: the workspace and the tenant start
 * as two organizations, and become one when an admin links them with a code. Then people
 * with the same email on both platforms are one member with one balance, and one allowance.
 */
describe('Slack and Teams, linked into one organization', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const tenantId = randomUUID();
  const domain = `${teamId.toLowerCase()}.example`;
  const slackApi = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  let triggers = 0;

  const teamsPerson = (name: string, email: string) =>
    connector.addUser({
      id: `29:${randomUUID()}`,
      aadObjectId: randomUUID(),
      name,
      email,
      tenantId,
    });
  const ana = teamsPerson('Ana Teams', `ana@${domain}`);
  const jose = teamsPerson('José Teams', `jose@${domain}`);
  const li = teamsPerson('Li', `li@${domain}`);

  async function slack(user: string, text: string): Promise<string> {
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${++triggers}`,
      response_url: `${slackApi.url}/respond/${triggers}`,
    });
    await plaudit.settled();
    return slashCommandText(response, slackApi);
  }
  /** A message to the bot: with mentions, in a group chat (whose people it can look up), else in a personal chat. */
  async function teams(from: typeof ana, text: string, mentions: (typeof ana)[] = []) {
    const message = teamsMessage(
      scene,
      from,
      text,
      mentions.length > 0
        ? { mentions, conversationType: 'groupChat', conversationId: '19:office@thread.v2' }
        : {},
    );
    const response = await postActivity(plaudit.url, message, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
    const reply = connector.answersTo(message)[0]?.activity;
    return String(reply?.summary ?? reply?.text);
  }
  const slackDmsTo = (user: string) =>
    slackApi.callsTo('chat.postMessage').filter((call) => call.body.channel === `D${user}`);
  const celebrationsIn = (channel: string) =>
    slackApi.callsTo('chat.postMessage').filter((call) => call.body.channel === channel);
  const teamsMessagesTo = (user: typeof ana) => connector.sentTo(`a:chat-with-${user.id}`);
  async function organizations() {
    const { rows } = await sql<{ slack: number; teams: number }>`
      select
        (select organization_id from slack_workspaces where team_id = ${teamId}) as slack,
        (select organization_id from teams_tenants where tenant_id = ${tenantId}) as teams`.execute(
      plaudit.db,
    );
    return rows[0];
  }

  beforeAll(async () => {
    await Promise.all([slackApi.start(), connector.start()]);
    const slackUser = (id: string, name: string, email: string) =>
      slackApi.users.set(id, { id, name, team_id: teamId, profile: { display_name: name, email } });
    slackUser('UANA', 'Ana', `ana@${domain}`);
    slackUser('UJOSE', 'José', `JOSE@${domain}`);
    slackUser('UKIM', 'Kim', `kim@${domain}`);
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_TENANT_ID: tenantId },
      { ...slackEnv(slackApi), PLAUDIT_INITIAL_ADMINS: `ana@${domain},kim@${domain}` },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await Promise.all([slackApi.stop(), connector.stop()]);
  });

  it('starts as two organizations: what is given in Teams is not in Slack', async () => {
    const before = await organizations();
    expect(before?.slack).toBeDefined();
    expect(before?.teams).toBeDefined();
    expect(before?.slack).not.toBe(before?.teams);
    expect(await teams(ana, '<at>José Teams</at> 7 for the review', [jose])).toBe(
      'You gave 7 points to José Teams for the review. You have 93 points left to give this month.',
    );
    // José's Slack account is another organization's member: nothing earned there.
    expect(await slack('UJOSE', 'balance')).toMatch(/You have earned 0 points to spend\.$/);
    expect(await slack('UANA', 'balance')).toMatch(/^You have 100 points left to give this month/);
  });

  it("the Slack workspace's admin links it to the Teams organization with a code made there", async () => {
    const made = await teams(ana, 'admin link');
    const code = /`([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})`/.exec(made)?.[1];
    expect(made).toContain(`/kudos admin link ${code} in Slack`);
    // Only an admin of the workspace's organization may move it.
    expect(await slack('UJOSE', `admin link ${code}`)).toBe(
      'Only admins can link this workspace to another organization; ask an admin if this needs doing.',
    );
    expect(await slack('UKIM', `admin link ${code}`)).toMatch(
      /^This Slack workspace is now part of Microsoft Teams \(tenant [0-9a-f]{8}\): its people share/,
    );
    const after = await organizations();
    expect(after?.slack).toBe(after?.teams);
  });

  it('a kudos given in Slack is in the balance the recipient sees in Teams', async () => {
    expect(await slack('UKIM', '<@UANA> 10 for the launch')).toBe(
      'You gave 10 points to Ana Teams for the launch. You have 90 points left to give this month.',
    );
    // Ana's Slack account found the member Teams made for her, by email.
    expect(await teams(ana, 'balance')).toMatch(/You have earned 10 points to spend\.$/);
    // Given in Slack, where she is too: told there (and celebrated there), not in Teams.
    expect(slackDmsTo('UANA')).toHaveLength(1);
    expect(celebrationsIn('C1').map((call) => call.body.text)).toEqual([
      '🎉 Kim gave Ana Teams 10 points for the launch',
    ]);
    expect(teamsMessagesTo(ana)).toHaveLength(0);
  });

  it('a kudos given in Teams is in the balance the recipient sees in Slack', async () => {
    expect(await slack('UJOSE', 'balance')).toMatch(/You have earned 7 points to spend\.$/);
    expect(await teams(ana, '<at>José Teams</at> 3 for the fix', [jose])).toBe(
      'You gave 3 points to José Teams for the fix. You have 90 points left to give this month.',
    );
    expect(await slack('UJOSE', 'balance')).toMatch(/You have earned 10 points to spend\.$/);
    // Given in Teams, where José is too: told in Teams only.
    expect(teamsMessagesTo(jose).map((sent) => sent.activity.text)).toEqual([
      '🎉 Ana Teams gave you 7 points for the review',
      '🎉 Ana Teams gave you 3 points for the fix',
    ]);
    expect(slackDmsTo('UJOSE')).toHaveLength(0);
  });

  it('one allowance too: what Ana gives on either platform comes out of the same budget', async () => {
    expect(await slack('UANA', '<@UKIM> 20 for the docs')).toBe(
      'You gave 20 points to Kim for the docs. You have 70 points left to give this month.',
    );
    expect(await teams(ana, '<at>Li</at> 3 for lunch', [li])).toBe(
      'You gave 3 points to Li for lunch. You have 67 points left to give this month.',
    );
  });
});
