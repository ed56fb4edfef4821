import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlackEvent,
  postSlackInteraction,
  postSlashCommand,
  type SlashCommand,
  type SlashCommandResponse,
  slashCommandMessage,
  slashCommandText,
} from '../support/slack-requests.ts';
import { giveModalSubmission } from '../support/slack-views.ts';

describe('the Slack adapter over signed HTTP', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const command = (
    user: string,
    text: string,
    extra: Partial<SlashCommand> = {},
  ): SlashCommand => ({
    team_id: teamId,
    user_id: user,
    channel_id: 'C1',
    text,
    trigger_id: `trigger-${++triggers}`,
    response_url: `${fake.url}/respond/${triggers}`,
    ...extra,
  });
  const send = (body: SlashCommand, options?: Parameters<typeof postSlashCommand>[3]) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, body, options);
  const replyText = (response: SlashCommandResponse) => slashCommandText(response, fake);

  /** Points a Slack user has earned, read from the ledger through their member. */
  async function earned(userId: string): Promise<number> {
    const { rows } = await sql<{ available: number }>`
      select b.credits_posted - b.debits_posted - b.debits_pending as available
      from platform_identities p
      join ledger_accounts a on a.member_id = p.member_id and a.code = 'earned'
      join ledger_balances b on b.account_id = a.id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${userId}`.execute(
      plaudit.db,
    );
    return rows[0]?.available ?? 0;
  }
  async function recognitions(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from recognitions r
      join slack_workspaces w on w.organization_id = r.organization_id
      where w.team_id = ${teamId}`.execute(plaudit.db);
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    await fake.start();
    const user = (id: string, name: string, extra: Record<string, unknown> = {}) =>
      fake.users.set(id, {
        id,
        name,
        profile: {
          display_name: name,
          email: `${id.toLowerCase()}@${teamId.toLowerCase()}.example`,
        },
        ...extra,
      });
    user('UANA', 'Ana');
    user('ULI', 'Li');
    user('UJOSE', 'José');
    user('UTANAKA', '田中');
    user('UBOTTY', 'Deploy Bot', { is_bot: true });
    user('UGONE', 'Gone', { deleted: true });
    user('UGUEST', 'Guest', { is_restricted: true });
    fake.groups.set('SDESIGN', ['ULI', 'UJOSE']);
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: `uana@${teamId.toLowerCase()}.example`,
    });
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('connects the workspace with auth.test at start and serves no local console', async () => {
    expect(fake.callsTo('auth.test')).toHaveLength(1);
    expect(plaudit.slack?.workspace?.teamId).toBe(teamId);
    expect((await fetch(`${plaudit.url}/console/try`, { redirect: 'manual' })).status).toBe(303);
    const commands = await fetch(`${plaudit.url}/api/console/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ member: 'ana', text: 'balance' }),
    });
    expect(commands.status).toBe(404);
  });

  const openHome = (user: string) =>
    postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-home-${user}-${++triggers}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' },
    });

  it('gives to one person: an ephemeral confirmation, a channel celebration, and a DM', async () => {
    // Ana and Li have their Home tabs open; José has never opened his.
    await openHome('UANA');
    await openHome('ULI');
    await plaudit.settled();
    const homesBefore = fake.callsTo('views.publish').length;
    const response = await send(
      command('UANA', '<@ULI|li> 10 for the launch &amp; the docs #teamwork'),
    );
    expect(response.status).toBe(200);
    expect(await slashCommandMessage(response, fake)).toMatchObject({
      response_type: 'ephemeral',
      // A message's text is mrkdwn: Slack shows `&amp;` as the `&` that was typed.
      text: 'You gave 10 points to Li for the launch &amp; the docs #teamwork. You have 90 points left to give this month.',
    });
    await plaudit.settled();
    expect(await earned('ULI')).toBe(10);
    const [announcement] = fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === 'C1');
    expect(announcement?.body.text).toBe(
      '🎉 Ana gave Li 10 points for the launch &amp; the docs #teamwork',
    );
    expect(JSON.stringify(announcement?.body.blocks)).toContain('<@UANA> gave <@ULI> *10 points*');
    expect(JSON.stringify(announcement?.body.blocks)).toContain('the launch &amp; the docs');
    expect(fake.callsTo('conversations.open').map((call) => call.body.users)).toContain('ULI');
    expect(fake.callsTo('chat.postMessage').some((call) => call.body.channel === 'DULI')).toBe(
      true,
    );
    // Both open Home tabs are refreshed with the new balances.
    const homes = fake.callsTo('views.publish').slice(homesBefore);
    expect(homes.map((call) => call.body.user_id).sort()).toEqual(['UANA', 'ULI']);
    const liHome = JSON.stringify(homes.find((call) => call.body.user_id === 'ULI')?.body.view);
    expect(liHome).toContain('Earned, to spend');
    expect(liHome).toContain('Ana gave you 10: the launch');
  });

  it('publishes the Home tab when it is opened', async () => {
    const before = fake.callsTo('views.publish').length;
    const response = await openHome('UJOSE');
    expect(response.status).toBe(200);
    await plaudit.settled();
    const published = fake.callsTo('views.publish').slice(before);
    expect(published).toHaveLength(1);
    expect(published[0]?.body).toMatchObject({ user_id: 'UJOSE', view: { type: 'home' } });
    const view = JSON.stringify(published[0]?.body.view);
    expect(view).toContain('Your kudos balance');
    expect(view).toContain('Left to give this month');
    expect(view).toContain('Leaderboard, this month');
  });

  it('gives to several people and to a user group, once each', async () => {
    const response = await send(
      command('UTANAKA', '<@ULI> <!subteam^SDESIGN|@design> <@UANA> 5 for the offsite'),
    );
    expect(await replyText(response)).toBe(
      'You gave 5 points to Li, José and Ana for the offsite. You have 85 points left to give this month.',
    );
    expect(await earned('UJOSE')).toBe(5);
    expect(await earned('ULI')).toBe(15);
    await plaudit.settled();
    // 田中 (the giver) has never opened the Home tab, so nothing is published for them.
    const published = fake.callsTo('views.publish').map((call) => call.body.user_id);
    expect(published).not.toContain('UTANAKA');
    expect(published).toContain('UJOSE');
  });

  it('speaks unicode both ways', async () => {
    const response = await send(command('UJOSE', '<@UTANAKA> 3 for the 翻訳 🎉 #チーム'));
    expect(await replyText(response)).toBe(
      'You gave 3 points to 田中 for the 翻訳 🎉 #チーム. You have 97 points left to give this month.',
    );
  });

  it('refuses bots, deactivated people, guests and yourself, and answers usage errors', async () => {
    const before = await recognitions();
    // The organization's admin (named by PLAUDIT_INITIAL_ADMINS); refusals name them.
    const { rows: admins } = await sql<{ display_name: string }>`
      select display_name from members
      where 'admin' = any(roles) and organization_id = (select organization_id
        from platform_identities where platform = 'slack' and tenant_id = ${teamId} limit 1)`.execute(
      plaudit.db,
    );
    expect(admins).toHaveLength(1);
    const admin = admins[0]?.display_name;
    const cases: Array<[string, string]> = [
      ['<@UBOTTY> 5 for deploys', 'Deploy Bot is a bot; kudos are for people.'],
      ['<@UGONE> 5 for the past', 'Gone is no longer active here, so they cannot receive kudos.'],
      [
        '<@UGUEST> 5 for helping',
        `Guest is a guest, and guests cannot receive kudos here; ask ${admin} (admin) if that should change.`,
      ],
      [
        '<@ULI> <@UANA> 5 for us',
        'You cannot give kudos to yourself. Nobody was credited; send it again without yourself.',
      ],
      ['<@ULI> 1000 for everything', 'Kudos are at most 100 points each; 1000 is more than that.'],
      [
        '<@UNOBODY> 5 for x',
        'I do not know who that person is; check the name or pick them from the list.',
      ],
      [
        'thanks all',
        'Say who you are thanking with a mention: /kudos thanks @ana for the help. Give kudos like this: /kudos @ana @li 10 for the launch #teamwork',
      ],
    ];
    for (const [text, expected] of cases) {
      const response = await send(command('UANA', text));
      expect(response.status, text).toBe(200);
      expect(await replyText(response), text).toBe(expected);
    }
    expect(await recognitions()).toBe(before);
  });

  it('answers the other subcommands', async () => {
    expect(await replyText(await send(command('ULI', 'balance')))).toMatch(
      /^You have 100 points left to give this month .* You have earned 15 points to spend\.$/,
    );
    expect(await replyText(await send(command('ULI', 'leaderboard')))).toMatch(
      /^Leaderboard, this month\nMost recognized:\n1\. Li — 15 points/,
    );
  });

  it('credits a delivery retried three times once, and answers each the same', async () => {
    const before = await recognitions();
    const delivery = command('UANA', '<@UJOSE> 7 for the review');
    const answers = [];
    for (const retry of ['', '1', '2', '3']) {
      const headers: Record<string, string> = retry
        ? { 'x-slack-retry-num': retry, 'x-slack-retry-reason': 'http_timeout' }
        : {};
      answers.push(await replyText(await send(delivery, { headers })));
    }
    expect(new Set(answers).size).toBe(1);
    expect(await recognitions()).toBe(before + 1);
    expect(await earned('UJOSE')).toBe(12);
  });

  it('refuses forged, stale, unsigned, malformed and foreign requests and touches nothing', async () => {
    const before = await recognitions();
    const give = () => command('UANA', '<@ULI> 5 for a forgery');
    expect((await send(give(), { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await send(give(), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(
      401,
    );
    expect((await send(give(), { signature: null })).status).toBe(401);
    expect((await send(give(), { headers: { 'x-slack-request-timestamp': 'soon' } })).status).toBe(
      401,
    );
    expect((await send(command('UANA', '<@ULI> 5 for x', { team_id: 'TSTRANGER' }))).status).toBe(
      401,
    );
    const malformed = await send(give(), {
      rawBody: '{"not": "a form"',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(await recognitions()).toBe(before);
    expect(await earned('ULI')).toBe(15);
  });

  it('acks within 3 s when Slack is slow, then answers through the response_url', async () => {
    fake.users.set('USLOW', { id: 'USLOW', name: 'Slow', profile: { display_name: 'Slow' } });
    // Past the ack's 2.5 s by half a second at least: the delay starts once the command
    // has arrived, and the ack is due 2.5 s after Slack sent it.
    fake.delays.set('users.info', 3_000);
    try {
      const delivery = command('USLOW', '<@ULI> 4 for patience');
      const response = await send(delivery);
      expect(response.status).toBe(200);
      expect(response.ms).toBeLessThan(3_000);
      await plaudit.settled();
      const answer = fake.calls.find(
        (call) => call.method === delivery.response_url.replace(`${fake.url}/`, ''),
      );
      expect(answer?.body).toMatchObject({
        response_type: 'ephemeral',
        text: 'You gave 4 points to Li for patience. You have 96 points left to give this month.',
      });
    } finally {
      fake.delays.delete('users.info');
    }
  }, 15_000);

  describe('the give-kudos modal', () => {
    const interact = (payload: Record<string, unknown>) =>
      postSlackInteraction(plaudit.url, SIGNING_SECRET, payload);
    const submission = (
      viewId: string,
      fields: { users: string[]; points?: string; reason?: string },
    ) => giveModalSubmission(teamId, 'UMODAL', viewId, fields);

    beforeAll(() => {
      fake.users.set('UMODAL', { id: 'UMODAL', name: 'Mo', profile: { display_name: 'Mo' } });
    });

    it('opens from a bare /kudos, with the recipients, amount and reason fields and the private box', async () => {
      const delivery = command('UMODAL', '  ');
      const response = await send(delivery);
      expect(response.status).toBe(200);
      await plaudit.settled();
      const opened = fake
        .callsTo('views.open')
        .find((call) => call.body.trigger_id === delivery.trigger_id);
      expect(opened?.body.view).toMatchObject({
        type: 'modal',
        callback_id: 'give_kudos_modal',
        private_metadata: JSON.stringify({ channel: 'C1' }),
      });
      const view = opened?.body.view as
        | { blocks: Array<{ block_id: string; element: { type: string } }> }
        | undefined;
      const blocks = view?.blocks ?? [];
      expect(blocks.map((block) => [block.block_id, block.element.type])).toEqual([
        ['recipients', 'multi_users_select'],
        ['amount', 'number_input'],
        ['reason', 'plain_text_input'],
        // Private kudos are allowed by default (issue 18).
        ['private', 'checkboxes'],
      ]);
    });

    it('opens from the global shortcut and from the message shortcut with a link to the message', async () => {
      expect(
        (
          await interact({
            type: 'shortcut',
            callback_id: 'give_kudos',
            trigger_id: 'trig-global',
            team: { id: teamId },
            user: { id: 'UMODAL' },
            token: 'x',
          })
        ).status,
      ).toBe(200);
      const message = {
        type: 'message_action',
        callback_id: 'give_kudos_for_message',
        trigger_id: 'trig-message',
        team: { id: teamId, domain: 'acme' },
        channel: { id: 'C9', name: 'launch' },
        user: { id: 'UMODAL' },
        message: { type: 'message', ts: '1700000000.123456', text: 'Shipped!', user: 'ULI' },
        response_url: `${fake.url}/respond/message`,
        token: 'x',
      };
      expect((await interact(message)).status).toBe(200);
      await plaudit.settled();
      const global = fake
        .callsTo('views.open')
        .find((call) => call.body.trigger_id === 'trig-global');
      expect(global?.body.view).toMatchObject({
        private_metadata: JSON.stringify({ channel: null }),
      });
      const fromMessage = fake
        .callsTo('views.open')
        .find((call) => call.body.trigger_id === 'trig-message');
      expect(JSON.stringify(fromMessage?.body.view)).toContain(
        '"initial_value":"your message https://acme.slack.com/archives/C9/p1700000000123456"',
      );
    });

    it('gives on submission, closes, confirms to the giver and celebrates', async () => {
      const before = await recognitions();
      const jose = await earned('UJOSE');
      const response = await interact(
        submission('V-ok', { users: ['UJOSE'], points: '6', reason: 'the demo' }),
      );
      expect(response.status).toBe(200);
      expect(response.body).toBe('');
      await plaudit.settled();
      expect(await recognitions()).toBe(before + 1);
      expect(await earned('UJOSE')).toBe(jose + 6);
      expect(fake.callsTo('chat.postEphemeral').at(-1)?.body).toMatchObject({
        channel: 'C1',
        user: 'UMODAL',
        text: 'You gave 6 points to José for the demo. You have 94 points left to give this month.',
      });
      // A retried submission of the same view credits nothing more.
      await interact(submission('V-ok', { users: ['UJOSE'], points: '6', reason: 'the demo' }));
      await plaudit.settled();
      expect(await recognitions()).toBe(before + 1);
    });

    it('shows a refusal under the field it is about and changes nothing', async () => {
      const before = await recognitions();
      const self = await interact(submission('V-self', { users: ['UMODAL'], reason: 'me' }));
      expect(JSON.parse(self.body)).toEqual({
        response_action: 'errors',
        errors: { recipients: 'You cannot give kudos to yourself.' },
      });
      const tooMuch = await interact(
        submission('V-much', { users: ['ULI'], points: '500', reason: 'all of it' }),
      );
      expect(JSON.parse(tooMuch.body)).toEqual({
        response_action: 'errors',
        errors: { amount: 'Kudos are at most 100 points each; 500 is more than that.' },
      });
      expect(await recognitions()).toBe(before);
    });
  });

  it('leaves the giver out of a user group they thank, and says so (issue 18)', async () => {
    const [li, jose] = [await earned('ULI'), await earned('UJOSE')];
    const response = await send(command('ULI', '<!subteam^SDESIGN|@design> 2 for the review'));
    expect(await replyText(response)).toMatch(
      /^You gave 2 points to José for the review\. You are in a group you thanked, so you were left out: kudos cannot go to yourself\. You have \d+ points left to give this month\.$/,
    );
    expect(await earned('UJOSE')).toBe(jose + 2);
    expect(await earned('ULI')).toBe(li);
    // Typing their own name beside the group is still refused: they meant it.
    const named = await send(command('ULI', '<!subteam^SDESIGN|@design> <@ULI> 2 for us'));
    expect(await replyText(named)).toBe(
      'You cannot give kudos to yourself. Nobody was credited; send it again without yourself.',
    );
    expect(await earned('UJOSE')).toBe(jose + 2);
  });

  it('reads a thank-you sentence with the name inside (issue 18)', async () => {
    const jose = await earned('UJOSE');
    const response = await send(command('UANA', 'thanks <@UJOSE|jose> 3 for the help'));
    expect(await replyText(response)).toMatch(/^You gave 3 points to José for the help\. /);
    expect(await earned('UJOSE')).toBe(jose + 3);
  });
});
