import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import {
  channelDeleted,
  postActivity,
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
/** The team every channel of these tests is in (as `teamsMessage` names it). */
const TEAM_ID = '19:team@thread.tacv2';

describe('celebrations in a Teams announcement channel an admin chose there', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const jose = person('José García');
  const ana = person('Ana');
  const li = person('Li');
  const kudosChannel = `19:${randomUUID()}@thread.tacv2`;
  const otherChannel = `19:${randomUUID()}@thread.tacv2`;
  /** When each activity reached the fake connector, by the id it gave it. */
  const arrivals = new Map<string, number>();

  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
  }
  const inChannel = (from: FakeTeamsUser, text: string, conversationId = kudosChannel) =>
    teamsMessage(scene, from, text, { conversationType: 'channel', conversationId });
  const give = (from: FakeTeamsUser, to: FakeTeamsUser, text: string, conversationId?: string) =>
    send(
      teamsMessage(scene, from, `give <at>${to.name}</at> ${text}`, {
        mentions: [to],
        ...(conversationId ? { conversationType: 'channel' as const, conversationId } : {}),
      }),
    );
  /** The celebrations Plaudit posted on its own in the announcement channel (answers say "You gave"). */
  const announced = () =>
    connector.sentTo(kudosChannel).filter((sent) => String(sent.activity.summary).startsWith('🎉'));
  const privately = (user: FakeTeamsUser) =>
    [
      ...connector.sentTo(`a:personal-${user.id}`),
      ...connector.sentTo(`a:chat-with-${user.id}`),
    ].map((sent) => String(sent.activity.text ?? sent.activity.summary));
  const chosen = async () =>
    (
      await sql<{ conversation_id: string; team_id: string | null }>`
      select c.conversation_id, c.team_id from teams_announcement_channels c
      join teams_tenants t on t.organization_id = c.organization_id
      where t.tenant_id = ${tenantId}`.execute(plaudit.db)
    ).rows;

  /** José, an admin, chooses the announcement channel (again). */
  const choose = async () => {
    await send(inChannel(jose, 'announce here'));
    expect(await chosen()).toEqual([{ conversation_id: kudosChannel, team_id: TEAM_ID }]);
  };

  const answersTo = (activity: Record<string, unknown>) => connector.answersTo(activity);

  beforeAll(async () => {
    await connector.start();
    connector.onSent = (sent) => arrivals.set(sent.id, Date.now());
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      // Production's turn: the channel's pacing is tested here.
      { PLAUDIT_INITIAL_ADMINS: jose.email ?? '', TEAMS_SEND_TURN_MS: '2000' },
    );
    for (const user of [jose, ana, li]) await send(teamsMessage(scene, user, 'balance'));
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('is chosen by an admin saying "announce here" in the channel, and by nobody else', async () => {
    await send(inChannel(ana, 'announce here'));
    expect(privately(ana)).toContainEqual(expect.stringMatching(/admin/i));
    await send(teamsMessage(scene, jose, 'announce here'));
    expect(privately(jose)).toContain(
      'Say "announce here" in the channel where celebrations should be posted (mention me there); this is our personal chat. Nothing was changed.',
    );
    expect(await chosen()).toEqual([]);
    // Said in a thread of the channel: the channel itself is chosen.
    const here = inChannel(jose, 'announce here', `${kudosChannel};messageid=1700000000000`);
    await send(here);
    const [answer] = answersTo(here);
    expect(answer?.activity.summary).toBe(
      'From now on, every kudos given in Teams is also celebrated here. José García can say "announce off" to stop.',
    );
    expect(await chosen()).toEqual([{ conversation_id: kudosChannel, team_id: TEAM_ID }]);
    const { rows: audit } = await sql<{ outcome: string; after: unknown }>`
      select a.outcome, a.after from audit_log a
      join teams_tenants t on t.organization_id = a.organization_id
      where t.tenant_id = ${tenantId} and a.action = 'settings.change' order by a.id`.execute(
      plaudit.db,
    );
    expect(audit).toEqual([
      { outcome: 'refused', after: { teamsAnnouncementChannel: 'here' } },
      { outcome: 'done', after: { teamsAnnouncementChannel: kudosChannel } },
    ]);
  });

  it('celebrates there each kudos given in Teams, a turn apart, and not twice where it was given', async () => {
    await choose();
    const before = announced().length;
    await give(ana, li, '3 for the release notes');
    await give(li, ana, '2 for the pairing', otherChannel);
    await send(
      teamsMessage(scene, jose, '<at>Ana</at> 1 for the retro', {
        conversationType: 'channel',
        conversationId: kudosChannel,
        mentions: [ana],
      }),
    );
    const posts = announced().slice(before);
    expect(posts.map((post) => JSON.stringify(post.activity.attachments))).toEqual([
      expect.stringContaining('Ana gave Li 3 points'),
      expect.stringContaining('Li gave Ana 2 points'),
    ]);
    // Boosts are on: the channel's colleagues may add to each, as where it was given.
    for (const post of posts) {
      expect(JSON.stringify(post.activity.attachments)).toContain('"verb":"boost_kudos"');
    }
    expect(posts.map((post) => post.activity.summary)).toEqual([
      '🎉 Ana gave Li 3 points for the release notes',
      '🎉 Li gave Ana 2 points for the pairing',
    ]);
    // Posted proactively, with the bot's own token.
    expect(connector.issuedTokens.get(posts[0]?.authorization?.replace(/^Bearer /, '') ?? '')).toBe(
      APP_ID,
    );
    // One post per turn of the channel: Teams' limits hold however fast kudos come.
    const times = posts.map((post) => arrivals.get(post.id) ?? 0);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(1500);
    // A reaction to the post finds its kudos by the id the Connector gave it.
    const { rows } = await sql<{ activity_id: string }>`
      select activity_id from teams_celebration_posts where conversation_id = ${kudosChannel}
      order by posted_at`.execute(plaudit.db);
    expect(rows.map((row) => row.activity_id)).toEqual(
      expect.arrayContaining(posts.map((post) => post.id)),
    );
  });

  it('stops when the Bot Connector refuses for good, and tells the admin who chose it', async () => {
    await choose();
    const before = announced().length;
    // A message refused (400) fails alone: the channel stays chosen.
    connector.refusals.set(kudosChannel, [400]);
    await give(ana, li, '1 for the slides');
    expect(connector.refused).toContainEqual({ conversationId: kudosChannel, status: 400 });
    expect(await chosen()).toHaveLength(1);
    connector.refusals.set(kudosChannel, [403]);
    await give(ana, li, '1 for the budget');
    expect(connector.refused).toContainEqual({ conversationId: kudosChannel, status: 403 });
    expect(await chosen()).toEqual([]);
    expect(privately(jose)).toContain(
      'Plaudit can no longer post in the Teams channel you chose for celebrations (the Bot Connector refused the post), so they are no longer posted there; each kudos is still celebrated where it is given. To choose a channel again, mention me there: "announce here".',
    );
    const refused = connector.refused.length;
    await give(ana, li, '1 for the follow-up');
    expect(connector.refused).toHaveLength(refused);
    expect(announced()).toHaveLength(before);
  });

  it('stops when the bot is removed from the team or the channel is deleted, and on "announce off"', async () => {
    const told = () => privately(jose).filter((text) => text.startsWith('Plaudit can no longer'));
    await choose();
    const before = told().length;
    await send(
      teamUpdate(scene, jose, {
        team: { id: TEAM_ID, name: 'Contoso', aadGroupId: randomUUID() },
        eventType: 'teamMemberRemoved',
        membersRemoved: [{ id: scene.bot.id }],
      }),
    );
    expect(await chosen()).toEqual([]);
    await choose();
    await send(channelDeleted(scene, jose, { teamId: TEAM_ID, channelId: kudosChannel }));
    expect(await chosen()).toEqual([]);
    expect(told().slice(before)).toEqual([
      expect.stringContaining('(Plaudit was removed from it)'),
      expect.stringContaining('(the channel was deleted)'),
    ]);
    await choose();
    await send(teamsMessage(scene, jose, 'announce off'));
    expect(await chosen()).toEqual([]);
    const posts = announced().length;
    await give(ana, li, '1 for the wiki');
    expect(announced()).toHaveLength(posts);
  });
});
