import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { BUSY_TEXT } from '../../src/core/command-admission.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, slackEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand, type SlashCommand, slackSignature } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

/**
 * A command is either taken and answered (in the ack while Slack still waits for it,
 * through its response URL otherwise) or shed before anything is done, with a quick
 * answer that nothing happened. Never done and left unanswered.
 */
describe('Slack commands under load and late', () => {
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
  const send = (body: SlashCommand, options?: Parameters<typeof postSlashCommand>[3]) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, body, options);
  /** What the command's response URL was sent, once it has been. */
  const responded = async (body: SlashCommand): Promise<string[]> => {
    const method = new URL(body.response_url).pathname.slice(1);
    await until(() => fake.callsTo(method).length > 0);
    return fake.callsTo(method).map((call) => String(call.body.text));
  };
  /** Every answer a command got, in its ack and through its response URL, once all is sent. */
  const answers = async (body: SlashCommand, ack: { body: string }): Promise<string[]> => {
    await plaudit.settled();
    const method = new URL(body.response_url).pathname.slice(1);
    const inAck = ack.body === '' ? [] : [String((JSON.parse(ack.body) as { text: string }).text)];
    return [...inAck, ...fake.callsTo(method).map((call) => String(call.body.text))];
  };
  async function recognitionsBy(userId: string): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from recognitions r
      join platform_identities p on p.member_id = r.giver_id
      where p.platform = 'slack' and p.tenant_id = ${teamId} and p.user_id = ${userId}`.execute(
      plaudit.db,
    );
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UHELD', 'Held'],
      ['ULATE', 'Late'],
      ['UGONE', 'Gone'],
    ] as const) {
      fake.addUser(id, name, `${id.toLowerCase()}@acme.example`);
    }
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        CHAT_COMMANDS_IN_FLIGHT: '1',
        ...slackEnv(fake),
      }),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('sheds a command while the process is saturated: a quick busy answer, nothing given; the command it was busy with is answered', async () => {
    // The first command waits on Slack for who its giver is: it holds the only place.
    const release = fake.hold('users.info', (body) => body.user === 'UHELD');
    const held = command('UHELD', '<@ULI> 5 for holding the fort');
    const heldAck = send(held);
    await until(() => fake.callsTo('users.info').some((call) => call.body.user === 'UHELD'));

    const shed = command('UANA', '<@ULI> 5 for the launch');
    const answer = await send(shed);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ text: BUSY_TEXT });
    expect(await recognitionsBy('UANA')).toBe(0);
    const metrics = await (await fetch(`${plaudit.url}/metrics`)).text();
    expect(metrics).toContain('plaudit_commands_shed_total{reason="saturated"} 1');
    expect(metrics).toContain('plaudit_commands_in_flight 1');

    release();
    const ack = await heldAck;
    expect(ack.status).toBe(200);
    expect(await answers(held, ack)).toEqual([expect.stringContaining('5 points')]);
    expect(await recognitionsBy('UHELD')).toBe(1);
  });

  it('counts the ack deadline from when Slack sent the command: one sent 4 s ago is answered through its response URL', async () => {
    const late = command('ULATE', '<@ULI> 3 for patience');
    const answer = await send(late, { timestamp: Math.floor(Date.now() / 1000) - 4 });
    expect(answer).toMatchObject({ status: 200, body: '' });
    expect(await responded(late)).toEqual([expect.stringContaining('3 points')]);
    expect(await recognitionsBy('ULATE')).toBe(1);
    await plaudit.settled();
  });

  it('answers through the response URL a command whose connection Slack dropped before the ack', async () => {
    const dropped = command('UGONE', '<@ULI> 2 for the handover');
    const body = new URLSearchParams({ command: '/kudos', ...dropped }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const { port } = new URL(plaudit.url);
    // Slack gives up on the request (its 3 s passed): the connection is reset under it.
    const sent = request({
      host: '127.0.0.1',
      port: Number(port),
      method: 'POST',
      path: '/slack/events',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body),
      },
    });
    sent.on('error', () => {});
    const release = fake.hold('users.info', (call) => call.user === 'UGONE');
    sent.end(body);
    await until(() => fake.callsTo('users.info').some((call) => call.body.user === 'UGONE'));
    sent.destroy();
    release();
    expect(await responded(dropped)).toEqual([expect.stringContaining('2 points')]);
    expect(await recognitionsBy('UGONE')).toBe(1);
    await plaudit.settled();
  });
});
