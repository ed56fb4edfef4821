import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, slackEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand } from '../support/slack-requests.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import { connectorToken, startTeamsPlaudit, teamsScene } from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

/**
 * A company on Slack and Teams at once: one process, one organization, one ledger. People
 * with the same email on both platforms are one member with one balance.
 */
describe('Slack and Teams in one organization', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const tenantId = randomUUID();
  const domain = `${teamId.toLowerCase()}.example`;
  const slackApi = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  let triggers = 0;

  const teamsPerson = (name: string, email: string) =>
    connector.addUser({ id: `29:${randomUUID()}`, aadObjectId: randomUUID(), name, email });
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
    return (JSON.parse(response.body) as { text: string }).text;
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
    const reply = connector.sent.find((sent) => sent.replyToId === message.id)?.activity;
    return String(reply?.summary ?? reply?.text);
  }
  const slackDmsTo = (user: string) =>
    slackApi.callsTo('chat.postMessage').filter((call) => call.body.channel === `D${user}`);
  const teamsMessagesTo = (user: typeof ana) => connector.sentTo(`a:chat-with-${user.id}`);

  beforeAll(async () => {
    await Promise.all([slackApi.start(), connector.start()]);
    const slackUser = (id: string, name: string, email: string) =>
      slackApi.users.set(id, { id, name, profile: { display_name: name, email } });
    slackUser('UANA', 'Ana', `ana@${domain}`);
    slackUser('UJOSE', 'José', `JOSE@${domain}`);
    slackUser('UKIM', 'Kim', `kim@${domain}`);
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_TENANT_ID: tenantId },
      slackEnv(slackApi),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await Promise.all([slackApi.stop(), connector.stop()]);
  });

  it('a kudos given in Slack is in the balance the recipient sees in Teams', async () => {
    expect(await slack('UKIM', '<@UANA> 10 for the launch')).toBe(
      'You gave 10 points to Ana for the launch. You have 90 points left to give this month.',
    );
    // Ana's first Teams message finds the member Slack made for her, by email.
    expect(await teams(ana, 'balance')).toMatch(/You have earned 10 points to spend\.$/);
    // She is on Slack, where it was given: told there, and not in Teams as well.
    expect(slackDmsTo('UANA')).toHaveLength(1);
    expect(teamsMessagesTo(ana)).toHaveLength(0);
  });

  it('a kudos given in Teams is in the balance the recipient sees in Slack', async () => {
    expect(await teams(ana, '<at>José Teams</at> 7 for the review', [jose])).toBe(
      'You gave 7 points to José Teams for the review. You have 93 points left to give this month.',
    );
    expect(await slack('UJOSE', 'balance')).toMatch(/You have earned 7 points to spend\.$/);
    // Given in Teams, where José is too: told in Teams only.
    expect(teamsMessagesTo(jose).map((sent) => sent.activity.text)).toEqual([
      // Ana's member was made from Slack first, so her name is Slack's.
      '🎉 Ana gave you 7 points for the review',
    ]);
    expect(slackDmsTo('UJOSE')).toHaveLength(0);
  });

  it('one allowance too: what Ana gives on either platform comes out of the same budget', async () => {
    expect(await slack('UANA', '<@UKIM> 20 for the docs')).toBe(
      'You gave 20 points to Kim for the docs. You have 73 points left to give this month.',
    );
    expect(await teams(ana, '<at>Li</at> 3 for lunch', [li])).toBe(
      'You gave 3 points to Li for lunch. You have 70 points left to give this month.',
    );
  });
});
