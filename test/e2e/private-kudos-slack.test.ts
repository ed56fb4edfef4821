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
} from '../support/slack-requests.ts';
import { giveModalSubmission } from '../support/slack-views.ts';

const PRIVATELY =
  'It was private: only they are told, in a direct message; there is no celebration, and it stays off the leaderboard.';

/** Issue 18's private kudos in Slack, over signed HTTP, against the Slack Web API fake. */
describe('private kudos in Slack', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const command = (user: string, text: string): SlashCommand => ({
    team_id: teamId,
    user_id: user,
    channel_id: 'C1',
    text,
    trigger_id: `trigger-${++triggers}`,
    response_url: `${fake.url}/respond/${triggers}`,
  });
  /** Sends a signed slash command; resolves with its answer once all follow-up work is done. */
  async function send(user: string, text: string): Promise<string> {
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, command(user, text));
    expect(response.status).toBe(200);
    await plaudit.settled();
    return (JSON.parse(response.body) as { text: string }).text;
  }
  /** Everything posted to a channel (not a DM) since a count of calls. */
  const channelPosts = (since: number) =>
    fake
      .callsTo('chat.postMessage')
      .slice(since)
      .filter((call) => !String(call.body.channel).startsWith('D'));
  const dms = (user: string) =>
    fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === `D${user}`)
      .map((call) => String(call.body.text));
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

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UJOSE', 'José'],
    ] as const) {
      fake.users.set(id, {
        id,
        name,
        profile: {
          display_name: name,
          email: `${id.toLowerCase()}@${teamId.toLowerCase()}.example`,
        },
      });
    }
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: `uana@${teamId.toLowerCase()}.example`,
    });
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  const openHome = async (user: string) => {
    const opened = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-home-${randomUUID()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' },
    });
    expect(opened.status).toBe(200);
    await plaudit.settled();
  };

  it('gives by slash command: the recipient is told by DM, nothing is posted in the channel', async () => {
    // José (the giver) has his Home tab open: it is refreshed though nothing is celebrated.
    await openHome('UJOSE');
    const homes = fake.callsTo('views.publish').length;
    const posted = fake.callsTo('chat.postMessage').length;
    const answer = await send('UJOSE', 'private <@ULI|li> 5 for the hard week');
    expect(answer).toBe(
      `You gave 5 points to Li for the hard week. ${PRIVATELY} You have 95 points left to give this month.`,
    );
    expect(await earned('ULI')).toBe(5);
    expect(dms('ULI')).toEqual([
      'José gave you 5 points for the hard week (a private kudos: only you were told, and it stays off the leaderboard)',
    ]);
    expect(channelPosts(posted)).toEqual([]);
    const refreshed = fake.callsTo('views.publish').slice(homes);
    expect(refreshed.map((call) => call.body.user_id)).toEqual(['UJOSE']);
    expect(JSON.stringify(refreshed[0]?.body.view)).toContain('the hard week (private)');
    // A public kudos after it is celebrated in the channel, as ever.
    await send('UJOSE', '<@UANA> 2 for the docs');
    expect(channelPosts(posted).map((call) => [call.body.channel, call.body.text])).toEqual([
      ['C1', '🎉 José gave Ana 2 points for the docs'],
    ]);
  });

  it('keeps it off the leaderboard and the Home tab’s board, and in both people’s history', async () => {
    expect(await send('ULI', 'leaderboard')).toBe(
      'Leaderboard, this month\nMost recognized:\n1. Ana — 2 points\nMost generous:\n1. José — 2 points',
    );
    expect(await send('ULI', 'history')).toMatch(/ — José gave you 5: the hard week \(private\)$/m);
    expect(await send('UJOSE', 'history')).toMatch(/ — you gave Li 5: the hard week \(private\)$/m);
    const before = fake.callsTo('views.publish').length;
    await openHome('UANA');
    const home = JSON.stringify(fake.callsTo('views.publish').slice(before)[0]?.body.view);
    expect(home).toContain('Leaderboard, this month');
    expect(home).not.toContain('Li —');
    expect(home).not.toContain('hard week');
  });

  describe('the give-kudos modal', () => {
    const submission = (viewId: string, ticked: boolean) =>
      giveModalSubmission(teamId, 'UANA', viewId, {
        users: ['UJOSE'],
        points: '4',
        reason: 'the quiet fix',
        private: ticked,
      });
    const submit = async (viewId: string, ticked: boolean) => {
      const response = await postSlackInteraction(
        plaudit.url,
        SIGNING_SECRET,
        submission(viewId, ticked),
      );
      expect(response.status).toBe(200);
      await plaudit.settled();
      return response;
    };

    it('offers the private box, and its ticked submission gives privately', async () => {
      const delivery = command('UANA', '');
      await postSlashCommand(plaudit.url, SIGNING_SECRET, delivery);
      await plaudit.settled();
      const opened = fake
        .callsTo('views.open')
        .find((call) => call.body.trigger_id === delivery.trigger_id);
      expect(JSON.stringify(opened?.body.view)).toContain(
        '"block_id":"private","optional":true,"label":{"type":"plain_text","text":"Private"},"element":{"type":"checkboxes"',
      );
      const posted = fake.callsTo('chat.postMessage').length;
      expect((await submit('V-private', true)).body).toBe('');
      expect(await earned('UJOSE')).toBe(4);
      expect(fake.callsTo('chat.postEphemeral').at(-1)?.body).toMatchObject({
        channel: 'C1',
        user: 'UANA',
        text: `You gave 4 points to José for the quiet fix. ${PRIVATELY} You have 96 points left to give this month.`,
      });
      expect(dms('UJOSE').at(-1)).toMatch(/^Ana gave you 4 points for the quiet fix \(a private/);
      expect(channelPosts(posted)).toEqual([]);
      // Unticked, the same form is a public kudos, celebrated in the channel.
      await submit('V-public', false);
      expect(channelPosts(posted).map((call) => call.body.text)).toEqual([
        '🎉 Ana gave José 4 points for the quiet fix',
      ]);
    });

    it('where admins turned private kudos off: shown under the box, nothing moves', async () => {
      expect(await send('UANA', 'admin settings private-kudos=no')).toMatch(/^Settings changed/);
      const before = await earned('UJOSE');
      const refused = await submit('V-off', true);
      expect(JSON.parse(refused.body)).toEqual({
        response_action: 'errors',
        errors: {
          private:
            "Private kudos are turned off here, so nothing was given. Send it again without 'private' to thank them publicly (/kudos @ana 10 for …), or ask Ana (admin) to allow private kudos.",
        },
      });
      expect(await send('UANA', 'private <@UJOSE> 4 for the quiet fix')).toMatch(
        /^Private kudos are turned off here, so nothing was given\./,
      );
      expect(await earned('UJOSE')).toBe(before);
      // The modal no longer offers the box.
      const delivery = command('UANA', '');
      await postSlashCommand(plaudit.url, SIGNING_SECRET, delivery);
      await plaudit.settled();
      const opened = fake
        .callsTo('views.open')
        .find((call) => call.body.trigger_id === delivery.trigger_id);
      expect(JSON.stringify(opened?.body.view)).not.toContain('"block_id":"private"');
    });
  });
});
