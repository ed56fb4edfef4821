import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlashCommand,
  type SlashCommandResponse,
  slashCommandText,
} from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

const LINK = /\/console\/sign-in\?token=([A-Za-z0-9_-]{43})/;

describe('/kudos admin console in Slack: the sign-in link goes by direct message', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const slash = (user: string, text: string) => {
    triggers += 1;
    return postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'CGENERAL',
      text,
      trigger_id: `trigger-${triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });
  };
  const ackText = (response: SlashCommandResponse) => slashCommandText(response, fake);
  const dmsTo = (user: string) =>
    fake.callsTo('chat.postMessage').filter((call) => call.body.channel === user);
  const setRoles = async (user: string, roles: string) => {
    await sql`update members set roles = ${roles}::text[] where id = (
      select member_id from platform_identities
      where platform = 'slack' and tenant_id = ${teamId} and user_id = ${user})`.execute(
      plaudit.db,
    );
  };

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UJOSE', 'José'],
    ] as const) {
      fake.addUser(id, name, `${id.toLowerCase()}@${teamId.toLowerCase()}.example`);
    }
    // Ana is named the first admin (her email is this workspace's alone).
    plaudit = await startSlackPlaudit(fake, {
      PLAUDIT_INITIAL_ADMINS: `uana@${teamId.toLowerCase()}.example`,
    });
    expect((await slash('UANA', 'balance')).status).toBe(200);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('DMs an admin a link that signs them in once; the channel never sees it', async () => {
    const ack = await slash('UANA', 'admin console');
    expect(ack.status).toBe(200);
    expect(await ackText(ack)).toBe('I sent you a direct message.');
    expect(ack.body).not.toMatch(LINK);
    await until(() => dmsTo('UANA').length === 1);
    const text = String(dmsTo('UANA')[0]?.body.text);
    expect(text).toContain(`${plaudit.url}/console/sign-in?token=`);
    const token = LINK.exec(text)?.[1] as string;
    expect(fake.calls.filter((call) => JSON.stringify(call.body).includes(token))).toHaveLength(1);

    const browser = new ConsoleClient(plaudit.url);
    expect((await browser.post('/console/sign-in', { _csrf: null, token })).status).toBe(303);
    const overview = await browser.get('/console');
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('Hello, Ana.');
    const reused = await new ConsoleClient(plaudit.url).post('/console/sign-in', {
      _csrf: null,
      token,
    });
    expect(reused.status).toBe(403);
    // The refusal says how to ask again, with the Slack command this app is configured with.
    expect(reused.html).toContain('Ask for a new one: send /kudos admin console in Slack.');
  });

  it('refuses a member in words and sends no link', async () => {
    const ack = await slash('ULI', 'admin console');
    expect(await ackText(ack)).toBe(
      'Only admins and HR can use the web console; ask an admin if you need it.',
    );
    await plaudit.settled();
    expect(dmsTo('ULI')).toEqual([]);
  });

  it('answers HR privately through the command when Slack refuses the DM', async () => {
    expect((await slash('UJOSE', 'balance')).status).toBe(200);
    await setRoles('UJOSE', '{member,hr}');
    fake.refusals.push({
      method: 'chat.postMessage',
      matches: (body) => body.channel === 'UJOSE',
      error: 'channel_not_found',
      times: 1,
    });
    const ack = await slash('UJOSE', 'admin console');
    expect(await ackText(ack)).toBe('I sent you a direct message.');
    const respondedTo = `respond/${triggers}`;
    await until(() => fake.callsTo(respondedTo).length === 1);
    const fallback = fake.callsTo(respondedTo)[0]?.body as Record<string, unknown>;
    expect(fallback.response_type).toBe('ephemeral');
    expect(String(fallback.text)).toMatch(
      /^I could not send you a direct message, so here it is, for you alone\. Your link to the Plaudit console works once/,
    );
    expect(String(fallback.text)).toMatch(LINK);
  });
});
