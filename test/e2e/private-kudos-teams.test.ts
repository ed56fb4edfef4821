import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import {
  cardSubmission,
  postActivity,
  type TeamsScene,
  teamsMessage,
} from '../support/teams-activities.ts';
import { teamsEarned } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

/** Issue 18's private kudos in Teams, over Bot Framework HTTP with tokens, against the Connector fake. */
describe('private kudos in Teams', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  const jose = person('José García');

  /** Posts an activity signed as the Bot Connector signs it; resolves once all follow-up work is done. */
  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
  }
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.sent.filter((sent) => sent.replyToId === activity.id).map((sent) => sent.activity);
  /** The messages sent to a conversation (a busy turn may also send a typing indicator). */
  const messagesIn = (conversationId: string) =>
    connector
      .sentTo(conversationId)
      .map((sent) => sent.activity)
      .filter((activity) => activity.type !== 'typing');
  const channelId = () => `19:${randomUUID()}@thread.tacv2;messageid=1`;

  const earned = (user: FakeTeamsUser) => teamsEarned(plaudit.db, tenantId, user);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: jose.email ?? '' },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('in a channel: no celebration there, the giver answered privately, the recipient told 1:1', async () => {
    const channel = channelId();
    const message = teamsMessage(scene, ana, 'private <at>Li</at> 5 for the hard week', {
      conversationType: 'channel',
      conversationId: channel,
      mentions: [li],
    });
    await send(message);
    expect(await earned(li)).toBe(5);
    // The channel only hears that the answer went to the giver's own chat: no card, no names.
    const inChannel = messagesIn(channel);
    expect(inChannel.map((activity) => activity.text)).toEqual([
      'Ana, I sent you the answer in our chat.',
    ]);
    expect(JSON.stringify(inChannel)).not.toContain('Kudos!');
    const [answer] = connector.sentTo(`a:chat-with-${ana.id}`).map((sent) => sent.activity);
    expect(answer?.summary).toBe(
      'You gave 5 points to Li for the hard week. It was private: only they are told, in a direct message; there is no celebration, and it stays off the leaderboard. You have 95 points left to give this month.',
    );
    expect(connector.sentTo(`a:chat-with-${li.id}`).map((sent) => sent.activity.text)).toEqual([
      '🎉 Ana gave you 5 points for the hard week (a private kudos: only you were told, and it stays off the leaderboard)',
    ]);
  });

  it('the give card offers the private switch, and its submission gives privately', async () => {
    const ask = teamsMessage(scene, jose, 'give');
    await send(ask);
    const card = JSON.stringify(repliesTo(ask)[0]?.attachments);
    expect(card).toContain('"type":"Input.Toggle","id":"private"');
    const channel = channelId();
    const submitted = cardSubmission(
      scene,
      jose,
      { verb: 'give_kudos', recipients: li.aadObjectId, amount: '3', reason: 'x', private: 'true' },
      { conversationType: 'channel', conversationId: channel },
    );
    await send(submitted);
    expect(await earned(li)).toBe(8);
    expect(messagesIn(channel).map((activity) => activity.text)).toEqual([
      'José García, I sent you the answer in our chat.',
    ]);
    expect(connector.sentTo(`a:chat-with-${li.id}`).at(-1)?.activity.text).toMatch(
      /^🎉 José García gave you 3 points for x \(a private kudos/,
    );
    // Li's leaderboard shows none of it.
    const board = teamsMessage(scene, li, 'leaderboard');
    await send(board);
    expect(repliesTo(board)[0]?.summary).toBe(
      'Leaderboard, this month: no kudos yet. Be the first: @Plaudit @someone for …',
    );
  });

  it('where admins turned private kudos off: refused with a sentence, nothing moves, no switch', async () => {
    const off = teamsMessage(scene, jose, 'admin settings private-kudos=no');
    await send(off);
    expect(repliesTo(off)[0]?.summary ?? repliesTo(off)[0]?.text).toMatch(/^Settings changed/);
    const before = await earned(li);
    const refused = teamsMessage(scene, ana, 'private <at>Li</at> 5 for the hard week', {
      mentions: [li],
    });
    await send(refused);
    expect(repliesTo(refused)[0]?.text).toBe(
      "Private kudos are turned off here, so nothing was given. Send it again without 'private' to thank them publicly (@Plaudit @ana 10 for …), or ask José García (admin) to allow private kudos.",
    );
    expect(await earned(li)).toBe(before);
    const ask = teamsMessage(scene, ana, 'give');
    await send(ask);
    expect(JSON.stringify(repliesTo(ask)[0]?.attachments)).not.toContain('"id":"private"');
  });
});
