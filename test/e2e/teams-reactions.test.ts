import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector, type FakeTeamsUser } from '../support/fake-bot-connector.ts';
import {
  postActivity,
  type TeamsScene,
  teamsMessage,
  teamsReaction,
} from '../support/teams-activities.ts';
import { teamsEarned } from '../support/teams-ledger.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

const APP_ID = randomUUID();

describe('Teams reactions to celebration posts as kudos, from signed messageReaction activities', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const jose = person('José García');
  const ana = person('Ana');
  const li = person('Li');
  const jo = person('Jo');
  const channel = `19:${randomUUID()}@thread.tacv2`;

  async function send(activity: Record<string, unknown>) {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
    expect(response.status).toBe(200);
    await plaudit.settled();
  }
  const react = (
    from: { readonly id: string; readonly aadObjectId?: string },
    replyToId: string,
    change: { added?: string[]; removed?: string[] },
    id?: string,
  ) => send(teamsReaction(scene, from, { conversationId: channel, replyToId, id, ...change }));

  /** The plain messages Plaudit wrote to someone in their personal chat (answers are cards). */
  const privately = (user: FakeTeamsUser) =>
    [
      ...connector.sentTo(`a:personal-${user.id}`),
      ...connector.sentTo(`a:chat-with-${user.id}`),
    ].flatMap((sent) => (typeof sent.activity.text === 'string' ? [sent.activity.text] : []));

  /** Gives in the channel; resolves with the id of the celebration Plaudit posted there. */
  async function celebrate(giver: FakeTeamsUser, to: FakeTeamsUser, text: string) {
    const message = teamsMessage(scene, giver, `<at>${to.name}</at> ${text}`, {
      conversationType: 'channel',
      conversationId: channel,
      mentions: [to],
    });
    await send(message);
    const [post] = answersTo(message);
    expect(JSON.stringify(post?.activity.attachments)).toContain('Kudos!');
    return post?.id as string;
  }

  const earned = (user: FakeTeamsUser) => teamsEarned(plaudit.db, tenantId, user);

  async function recognitions(): Promise<Array<{ message: string; reversed: boolean }>> {
    const { rows } = await sql<{ message: string; reversed: boolean }>`
      select r.message, exists (select 1 from recognition_reversals v
        where v.recognition_id = r.id) as reversed
      from recognitions r join teams_tenants t on t.organization_id = r.organization_id
      where t.tenant_id = ${tenantId} order by r.id`.execute(plaudit.db);
    return rows;
  }

  const answersTo = (activity: Record<string, unknown>) => connector.answersTo(activity);

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { PLAUDIT_INITIAL_ADMINS: jose.email ?? '' },
    );
    // Jo may give 5 points a month, from the first: one heart uses it up.
    await send(teamsMessage(scene, jose, 'balance'));
    // Named in the channel, where the Bot Connector knows Jo before Jo writes to the bot.
    const settings = teamsMessage(
      scene,
      jose,
      'admin settings reactions=like:1,heart:5 reaction-grace=10 member-allowance=<at>Jo</at>:5',
      { conversationType: 'channel', conversationId: channel, mentions: [jo] },
    );
    await send(settings);
    // Everyone has written to the bot once: Plaudit knows them and their personal chat.
    for (const user of [ana, li, jo]) await send(teamsMessage(scene, user, 'balance'));
    const answers = connector.sentTo(`a:personal-${jose.id}`).map((sent) => sent.activity.summary);
    expect(answers).toContainEqual(expect.stringMatching(/^Settings changed.*Jo: 5 points/s));
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it("gives the celebrated kudos' recipients the reaction's points once, however often Teams delivers it", async () => {
    const post = await celebrate(jose, ana, '5 for the launch');
    const before = await earned(ana);
    const heart = `f:${randomUUID()}`;
    await react(li, post, { added: ['heart'] }, heart);
    await react(li, post, { added: ['heart'] }, heart);
    // Teams may also report the same reaction again in an activity of its own.
    await react(li, post, { added: ['heart'] });
    expect(await earned(ana)).toBe(before + 5);
    const [kudos] = (await recognitions()).filter((row) => row.message.startsWith(':heart:'));
    expect(kudos).toEqual({
      message: expect.stringMatching(/^:heart: on José García's kudos #\d+$/),
      reversed: false,
    });
    expect(privately(li).filter((text) => text.startsWith('You gave'))).toEqual([
      `You gave 5 points to Ana for ${kudos?.message}. You have 95 points left to give this month.`,
    ]);
  });

  it('gives nothing for a reaction the organization did not name, and says nothing', async () => {
    const post = await celebrate(jose, ana, '1 for the docs');
    const before = await recognitions();
    const said = privately(jo).length;
    await react(jo, post, { added: ['laugh'] });
    expect(await recognitions()).toEqual(before);
    expect(privately(jo)).toHaveLength(said);
  });

  it('refuses privately a reaction to kudos you gave or received, to any other message of the bot, or past your allowance', async () => {
    const post = await celebrate(jose, li, '1 for the review');
    const before = await recognitions();
    const inChannel = connector.sentTo(channel).length;
    await react(li, post, { added: ['like'] });
    await react(jose, post, { added: ['like'] });
    // The answer to a balance question is the bot's, but celebrates nothing.
    const question = teamsMessage(scene, jo, 'balance');
    await send(question);
    const [answer] = answersTo(question);
    await send(
      teamsReaction(scene, jo, {
        conversationId: `a:personal-${jo.id}`,
        conversationType: 'personal',
        replyToId: answer?.id as string,
        added: ['like'],
      }),
    );
    // A bot's reaction is not looked at: nobody is told, nothing moves.
    await react({ id: `28:${randomUUID()}` }, post, { added: ['heart'] });
    expect(await recognitions()).toEqual(before);
    // Jo may give 5 points a month: one heart uses it up, the next is refused.
    await react(jo, post, { added: ['heart'] });
    const spent = await recognitions();
    const other = await celebrate(jose, ana, '1 for the demo');
    await react(jo, other, { added: ['heart'] });
    expect(privately(li)).toContain(
      'That celebration is of kudos you received; your reaction gives nobody points. Thank the giver with a kudos of your own.',
    );
    expect(privately(jose)).toContain(
      'That celebration is of your own kudos; your reaction gives no more points. Give again if you mean to.',
    );
    expect(privately(jo).filter((text) => !text.startsWith('You gave'))).toEqual([
      'That message is from Plaudit, not a celebration of kudos; reactions give points only on celebration posts.',
      'You have 0 points left to give this month; this needs 5.',
    ]);
    expect(spent).toHaveLength(before.length + 1);
    expect((await recognitions()).length).toBe(spent.length + 1);
    // Nothing was said in the channel but the celebrations themselves.
    const posted = connector.sentTo(channel).slice(inChannel);
    expect(posted.map((sent) => JSON.stringify(sent.activity))).toEqual(
      posted.map(() => expect.stringContaining('Kudos!')),
    );
  });

  it('takes the kudos back when the reaction is removed within the grace period, once', async () => {
    const post = await celebrate(jose, ana, '1 for the fix');
    const before = await earned(ana);
    await react(li, post, { added: ['like'] });
    expect(await earned(ana)).toBe(before + 1);
    const gone = `f:${randomUUID()}`;
    await react(li, post, { removed: ['like'] }, gone);
    await react(li, post, { removed: ['like'] }, gone);
    expect(await earned(ana)).toBe(before);
    expect((await recognitions()).at(-1)).toMatchObject({
      message: expect.stringMatching(/^:like: on /),
      reversed: true,
    });
    // Reacting again gives again: a new kudos, not the replay of the reversed one.
    await react(li, post, { added: ['like'] });
    expect(await earned(ana)).toBe(before + 1);
  });

  it('keeps the kudos when the reaction is removed after the grace period', async () => {
    const post = await celebrate(jose, ana, '1 for the tests');
    await react(li, post, { added: ['like'] });
    const before = await earned(ana);
    // Given eleven minutes ago, by the database's clock: past the ten-minute grace period.
    await sql`update recognitions set created_at = now() - interval '11 minutes'
      where id = (select max(r.id) from recognitions r
        join teams_tenants t on t.organization_id = r.organization_id
        where t.tenant_id = ${tenantId})`.execute(plaudit.db);
    await react(li, post, { removed: ['like'] });
    expect(await earned(ana)).toBe(before);
    expect((await recognitions()).at(-1)).toMatchObject({ reversed: false });
  });
});
