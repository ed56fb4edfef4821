import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { NUL_IN_MESSAGE } from '../../src/core/nul-text.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import {
  type OrganizationSnapshot,
  organizationSnapshot,
} from '../support/organization-snapshot.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import {
  postSlackInteraction,
  postSlashCommand,
  type SlashCommandResponse,
  slackSignature,
  slashCommandText,
} from '../support/slack-requests.ts';
import { giveModalSubmission } from '../support/slack-views.ts';

/**
 * Bad input over Slack's signed HTTP: a reason past the longest, a NUL (which Postgres
 * cannot store) typed in a command or a modal, a signed body that is no payload, a body
 * over the receiver's limit. Each gets a sentence (or 400/413), and nothing of the
 * organization changes, nothing is posted.
 */
describe('the Slack adapter, sent bad input', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const command = (text: string) => ({
    team_id: teamId,
    user_id: 'UANA',
    channel_id: 'C1',
    text,
    trigger_id: `trigger-${++triggers}`,
    response_url: `${fake.url}/respond/${triggers}`,
  });
  const send = (text: string) => postSlashCommand(plaudit.url, SIGNING_SECRET, command(text));
  const replyText = (response: SlashCommandResponse) => slashCommandText(response, fake);
  const snapshot = () =>
    organizationSnapshot(plaudit.db, plaudit.slack?.workspace?.organizationId as number);
  /** Calls that post or open anything in Slack: a refusal answers in the ack alone. */
  const posts = () =>
    fake.calls.filter((call) => /^(chat\.|conversations\.open|views\.)/.test(call.method)).length;

  /** What the organization holds, and what was posted, before and after `act`. */
  async function unchangedBy(act: () => Promise<void>): Promise<void> {
    await plaudit.settled();
    const before: [OrganizationSnapshot, number] = [await snapshot(), posts()];
    await act();
    await plaudit.settled();
    expect([await snapshot(), posts()]).toEqual(before);
  }

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
    ] as const) {
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${id}@acme.example` },
      });
    }
    plaudit = await startSlackPlaudit(fake);
    // Both are known, and Ana's allowance period open, before anything is compared.
    expect(await replyText(await send('<@ULI> 1 for being first'))).toMatch(
      /^You gave 1 point to Li/,
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('refuses a 1 MB reason with the longest and its length, posting and storing nothing', async () => {
    await unchangedBy(async () => {
      const response = await send(`<@ULI> 5 for ${'x'.repeat(1024 * 1024)}`);
      expect(response.status).toBe(200);
      expect(await replyText(response)).toBe(
        'A reason is at most 1,000 characters; this one is 1,048,576.',
      );
    });
  });

  it.each([
    ['<@ULI> + 5', '+ 5'],
    ['<@ULI>" 1', '" 1'],
    ['<@ULI>+', '+'],
    ['<@ULI>---', '---'],
    ['<@ULI>\u2014', '\u2014'],
    ['<@ULI> 1e9', '1e9'],
    ['<@ULI> 0x10 for the fix', '0x10'],
    ['<@ULI> 10e2', '10e2'],
    ['<@ULI> \uFF11\uFF10 for the fix', '\uFF11\uFF10'],
    ['<@ULI> \u0663 for the fix', '\u0663'],
  ])('refuses %j naming what is no amount, and gives nothing (issue 18)', async (text, token) => {
    await unchangedBy(async () => {
      const response = await send(text);
      expect(response.status).toBe(200);
      expect(await replyText(response)).toBe(
        `'${token}' is not a number of points; use a whole number from 1 to 100. Give kudos like this: /kudos @ana @li 10 for the launch #teamwork`,
      );
    });
  });

  it('refuses a NUL typed in a command or in the modal, with a sentence', async () => {
    await unchangedBy(async () => {
      const response = await send(`<@ULI> 5 for the ${'\u0000'}launch`);
      expect(response.status).toBe(200);
      expect(await replyText(response)).toBe(NUL_IN_MESSAGE);
    });
    await unchangedBy(async () => {
      const submitted = await postSlackInteraction(
        plaudit.url,
        SIGNING_SECRET,
        giveModalSubmission(teamId, 'UANA', `V-${randomUUID()}`, {
          users: ['ULI'],
          points: '5',
          reason: 'the\u0000 launch',
          triggerId: `trigger-${++triggers}`,
        }),
      );
      expect(submitted.status).toBe(200);
      expect(JSON.parse(submitted.body)).toEqual({
        response_action: 'errors',
        errors: { reason: NUL_IN_MESSAGE },
      });
    });
  });

  it('answers a signed body that is no payload with 400, and one over its limit with 413', async () => {
    const post = async (body: string, contentType: string) => {
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(`${plaudit.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body),
        },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    };
    await unchangedBy(async () => {
      expect(await post('null', 'application/json')).toBe(400);
      expect(await post('payload=null', 'application/x-www-form-urlencoded')).toBe(400);
      // Bolt's receiver reads at most 4 MB.
      const over = `text=${'x'.repeat(4 * 1024 * 1024)}`;
      expect(await post(over, 'application/x-www-form-urlencoded')).toBe(413);
    });
  });
});
