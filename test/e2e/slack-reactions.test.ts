import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi, type FakeSlackUser } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand, slashCommandText } from '../support/slack-requests.ts';

describe('Slack reactions as kudos, from signed reaction events', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const emailOf = (id: string) => `${id.toLowerCase()}@${teamId.toLowerCase()}.example`;
  let plaudit: RunningPlaudit;
  let deliveries = 0;

  const command = async (user: string, text: string) => {
    deliveries += 1;
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${deliveries}`,
      response_url: `${fake.url}/respond/${deliveries}`,
    });
    expect(response.status).toBe(200);
    return slashCommandText(response, fake);
  };

  /** Slack tells Plaudit of a reaction; a redelivery carries the same event id and a retry number. */
  const react = async (
    type: 'reaction_added' | 'reaction_removed',
    reaction: { user: string; emoji: string; ts: string; itemUser?: string },
    options: { eventId?: string; retry?: number } = {},
  ) => {
    deliveries += 1;
    const response = await postSlackEvent(
      plaudit.url,
      SIGNING_SECRET,
      {
        token: 'deprecated',
        team_id: teamId,
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: options.eventId ?? `Ev${deliveries}`,
        event_time: Math.floor(Date.now() / 1000),
        event: {
          type,
          user: reaction.user,
          reaction: reaction.emoji,
          ...(reaction.itemUser && { item_user: reaction.itemUser }),
          item: { type: 'message', channel: 'C1', ts: reaction.ts },
          event_ts: `${Date.now() / 1000}`,
        },
      },
      options.retry
        ? { 'x-slack-retry-num': String(options.retry), 'x-slack-retry-reason': 'http_timeout' }
        : {},
    );
    expect(response.status).toBe(200);
    await plaudit.settled();
  };

  const earned = async (user: string) =>
    Number(/You have earned (\d+) points? to spend/.exec(await command(user, 'balance'))?.[1]);

  /** The ephemeral messages Plaudit posted to one person, in order. */
  const ephemeralTo = (user: string) =>
    fake
      .callsTo('chat.postEphemeral')
      .filter((call) => call.body.user === user)
      .map((call) => String(call.body.text));

  async function recognitions(): Promise<Array<{ message: string; reversed: boolean }>> {
    const { rows } = await sql<{ message: string; reversed: boolean }>`
      select r.message, exists (select 1 from recognition_reversals v
        where v.recognition_id = r.id) as reversed
      from recognitions r join slack_workspaces w on w.organization_id = r.organization_id
      where w.team_id = ${teamId} order by r.id`.execute(plaudit.db);
    return rows;
  }

  const record = (id: string, name: string, extra: Partial<FakeSlackUser> = {}): FakeSlackUser => ({
    id,
    name,
    team_id: teamId,
    profile: { display_name: name, email: emailOf(id) },
    ...extra,
  });

  beforeAll(async () => {
    await fake.start();
    for (const user of [
      record('UANA', 'Ana'),
      record('ULI', 'Li'),
      record('UJO', 'Jo'),
      record('UHOOK', 'Deploy Bot', { is_bot: true }),
    ]) {
      fake.users.set(user.id, user);
    }
    plaudit = await startSlackPlaudit(fake, { PLAUDIT_INITIAL_ADMINS: emailOf('UANA') });
    expect(
      await command('UANA', 'admin settings reactions=taco:1,star:5 reaction-grace=10'),
    ).toMatch(/^Settings changed/);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it("gives the message's author the emoji's points once, however often Slack delivers it", async () => {
    const star = { user: 'ULI', emoji: 'star', ts: '1733500000.000100', itemUser: 'UANA' };
    await react('reaction_added', star, { eventId: 'EvStar' });
    await react('reaction_added', star, { eventId: 'EvStar', retry: 1 });
    expect(await earned('UANA')).toBe(5);
    expect(await recognitions()).toEqual([
      {
        message: ':star: on https://app.slack.com/archives/C1/p1733500000000100',
        reversed: false,
      },
    ]);
    expect(ephemeralTo('ULI')).toEqual([
      'You gave 5 points to Ana for :star: on https://app.slack.com/archives/C1/p1733500000000100. You have 95 points left to give this month.',
    ]);
  });

  it('gives nothing for an emoji the organization did not name', async () => {
    const before = await recognitions();
    await react('reaction_added', {
      user: 'UJO',
      emoji: 'tada',
      ts: '1733500000.000100',
      itemUser: 'UANA',
    });
    expect(await recognitions()).toEqual(before);
    expect(ephemeralTo('UJO')).toEqual([]);
  });

  it('refuses privately a reaction to your own message, to a bot, or past your allowance', async () => {
    const before = await recognitions();
    const publicPosts = fake.callsTo('chat.postMessage').length;
    await react('reaction_added', { user: 'UJO', emoji: 'taco', ts: '1.1', itemUser: 'UJO' });
    await react('reaction_added', { user: 'UJO', emoji: 'taco', ts: '1.2', itemUser: 'UHOOK' });
    await react('reaction_added', { user: 'UJO', emoji: 'taco', ts: '1.3' });
    // Jo may give 5 points a month: one star uses it up, the next is refused.
    expect(await command('UANA', 'admin settings member-allowance=<@UJO|jo>:5')).toMatch(
      /^Settings changed/,
    );
    await react('reaction_added', { user: 'UJO', emoji: 'star', ts: '2.1', itemUser: 'ULI' });
    const spent = await recognitions();
    await react('reaction_added', { user: 'UJO', emoji: 'star', ts: '2.2', itemUser: 'ULI' });
    expect(ephemeralTo('UJO').filter((text) => !text.startsWith('You gave'))).toEqual([
      'You cannot give kudos to yourself.',
      'Deploy Bot is a bot; kudos are for people.',
      'That message is from an app or a bot; kudos are for people.',
      'You have 0 points left to give this month; this needs 5.',
    ]);
    expect(spent).toHaveLength(before.length + 1);
    expect(await recognitions()).toEqual(spent);
    expect(await earned('ULI')).toBe(5);
    // Each went to Jo alone, in the channel of the message.
    const toJo = fake.callsTo('chat.postEphemeral').filter((call) => call.body.user === 'UJO');
    expect(toJo.map((call) => call.body.channel)).toEqual(toJo.map(() => 'C1'));
    // Not one refusal was posted where others see it.
    const posted = fake.callsTo('chat.postMessage').slice(publicPosts);
    expect(posted.map((call) => String(call.body.text))).not.toContainEqual(
      expect.stringMatching(/yourself|bot;|left to give/),
    );
  });

  it('takes the kudos back when the reaction is removed within the grace period, once', async () => {
    const taco = { user: 'UANA', emoji: 'taco', ts: '3.1', itemUser: 'ULI' };
    const before = await earned('ULI');
    await react('reaction_added', taco);
    expect(await earned('ULI')).toBe(before + 1);
    await react('reaction_removed', taco, { eventId: 'EvTacoGone' });
    await react('reaction_removed', taco, { eventId: 'EvTacoGone', retry: 1 });
    expect(await earned('ULI')).toBe(before);
    expect((await recognitions()).at(-1)).toEqual({
      message: ':taco: on https://app.slack.com/archives/C1/p31',
      reversed: true,
    });
  });

  it('keeps the kudos when the reaction is removed after the grace period', async () => {
    const taco = { user: 'UANA', emoji: 'taco', ts: '4.1', itemUser: 'ULI' };
    await react('reaction_added', taco);
    const before = await earned('ULI');
    // Given eleven minutes ago, by the database's clock: past the ten-minute grace period.
    await sql`update recognitions set created_at = now() - interval '11 minutes'
      where message like '%/p41'`.execute(plaudit.db);
    await react('reaction_removed', taco);
    expect(await earned('ULI')).toBe(before);
    expect((await recognitions()).at(-1)).toMatchObject({ reversed: false });
  });
});
