import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { startWebBesideTaker, type WebBesideTaker } from '../support/notification-taker.ts';
import { SIGNING_SECRET, slackWebEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandMessage } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

/**
 * What people type in a reason is text in every message Plaudit posts: a typed @channel,
 * @here, @everyone, a user group or another person pings no one. Only the recipient,
 * whom Plaudit names itself from the member's Slack id, is mentioned.
 */
describe('Slack: a reason cannot ping anyone', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const prefix = `test-typed-${randomUUID()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let running: WebBesideTaker | undefined;

  beforeAll(async () => {
    await fake.start();
    for (const name of ['Ana', 'Li']) {
      const id = `U${name.toUpperCase()}`;
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${id.toLowerCase()}@${prefix}.example` },
      });
    }
    // A web process answers; the notifications are a worker's: its taker, beside it.
    running = await startWebBesideTaker(slackWebEnv(fake, prefix));
    plaudit = running.plaudit;
  });
  afterAll(async () => {
    await running?.close();
    await fake.stop();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('posts the celebration and the DM with the typed mentions as words, and answers the giver so', async () => {
    // What Slack sends for "@Li 5 for @channel @here @everyone @eng @Kim <@UOTHER> <b>cake</b>"
    // typed with escaping on: its own markup for the mentions, `&lt;` for a typed `<`.
    const typed =
      '<@ULI|li> 5 for <!channel> <!here|here> <!everyone> <!subteam^S123|@eng> <@UKIM|kim> <@UOTHER> &lt;b&gt;cake&lt;/b&gt;';
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: 'UANA',
      channel_id: 'C1',
      text: typed,
      trigger_id: 'trigger-typed',
      response_url: `${fake.url}/respond/typed`,
    });
    expect(response.status).toBe(200);
    const words = '@channel @here @everyone @eng @kim &lt;@UOTHER&gt; &lt;b&gt;cake&lt;/b&gt;';
    const reply = (await slashCommandMessage(response, fake)) as { text: string; blocks: unknown };
    expect(reply.text).toBe(
      `You gave 5 points to Li for ${words}. You have 95 points left to give this month.`,
    );
    expect(reply.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `You gave 5 points to Li for ${words}.`, verbatim: true },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: '95 points left to give this month.', verbatim: true }],
      },
    ]);

    const posts = () => fake.callsTo('chat.postMessage');
    await until(async () => {
      await plaudit.settled();
      return posts().length >= 2;
    }, 30_000);
    const celebration = posts().find((call) => call.body.channel === 'C1');
    expect(celebration?.body).toMatchObject({
      text: `🎉 Ana gave Li 5 points for ${words}`,
      parse: 'none',
      link_names: 'false',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '🎉 <@UANA> gave <@ULI> *5 points*', verbatim: true },
        },
        { type: 'section', text: { type: 'mrkdwn', text: `> ${words}`, verbatim: true } },
        // Boosts are on by default: colleagues may add to it.
        {
          type: 'actions',
          block_id: 'boost',
          elements: [expect.objectContaining({ type: 'button', action_id: 'plaudit_boost' })],
        },
      ],
    });
    const dm = posts().find((call) => call.body.channel === 'DULI');
    expect(dm?.body).toMatchObject({
      text: `Ana gave you 5 points for ${words}`,
      parse: 'none',
      link_names: 'false',
    });
    // Nothing else was posted: no message of Plaudit's carries a typed mention.
    const everything = JSON.stringify(posts().map((call) => call.body));
    expect(everything).not.toMatch(/<!|<@UOTHER|<@UKIM|<#/);
  });
});
