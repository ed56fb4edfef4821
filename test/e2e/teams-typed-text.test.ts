import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

/**
 * What people type is text in every activity Plaudit sends to Teams: an `<at>` they typed
 * (or a channel's mention in a reason) is no mention, and no activity carries a mention
 * entity for it.
 */
describe('Teams: a reason cannot mention anyone', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const jose = person('José García');
  const li = person('Li');
  const channel = `19:${randomUUID()}@thread.tacv2;messageid=1`;

  async function send(activity: Record<string, unknown>) {
    const token = connectorToken(connector, APP_ID);
    const response = await postActivity(plaudit.url, activity, token);
    await plaudit.settled();
    expect(response.status).toBe(200);
  }
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.answersTo(activity).map((sent) => sent.activity);
  const mentionEntities = (activity: Record<string, unknown> | undefined) =>
    ((activity?.entities ?? []) as Array<{ type?: string }>).filter(
      (entity) => entity.type === 'mention',
    );

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(connector, APP_ID, { TEAMS_ALLOWED_TENANTS: tenantId });
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('celebrates and tells the recipient with the typed <at> and HTML as text', async () => {
    // A typed tag comes HTML-escaped; a channel mention in the reason comes as a real tag
    // with an entity that names the channel, not a person.
    const message = teamsMessage(
      scene,
      jose,
      '<at>Li</at> 5 for thanks &lt;at&gt;Everyone&lt;/at&gt; and &lt;b&gt;all&lt;/b&gt; <at>General</at>',
      { conversationType: 'channel', conversationId: channel, mentions: [li] },
    );
    (message.entities as unknown[]).push({
      type: 'mention',
      text: '<at>General</at>',
      mentioned: { id: channel, name: 'General' },
    });
    await send(message);
    const [celebration] = repliesTo(message);
    expect(celebration?.summary).toBe(
      'You gave 5 points to Li for thanks Everyone and <b>all</b> General. You have 95 points left to give this month.',
    );
    expect(mentionEntities(celebration)).toEqual([]);
    expect(JSON.stringify(celebration?.attachments)).not.toContain('<at>');
    const told = connector.sentTo(`a:chat-with-${li.id}`).map((sent) => sent.activity);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      type: 'message',
      text: '🎉 José García gave you 5 points for thanks Everyone and <b>all</b> General',
      textFormat: 'plain',
    });
    expect(mentionEntities(told[0])).toEqual([]);
  });

  it('refuses a typed <at> where a recipient belongs, in plain text that mentions no one', async () => {
    const message = teamsMessage(scene, jose, '&lt;at&gt;Everyone&lt;/at&gt; 5 for all');
    await send(message);
    const replies = repliesTo(message);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      text: 'I could not tell who Everyone is; pick them from the mention list. Give kudos like this: @Plaudit @ana @li 10 for the launch #teamwork',
      textFormat: 'plain',
    });
    expect(mentionEntities(replies[0])).toEqual([]);
  });
});
