import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../../src/app.ts';
import { parseConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { postSlashCommand } from '../../support/slack-requests.ts';

/** Log lines written to memory, as a deployment's log shipper would get them. */
function logCapture() {
  const lines: string[] = [];
  return {
    destination: { write: (line: string) => void lines.push(line) },
    text: () => lines.join(''),
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('the logger of every Plaudit process', () => {
  it('redacts credentials, cookies and fields named like secrets wherever they are logged', () => {
    const logs = logCapture();
    const logger = createLogger('info', logs.destination);
    const secret = (what: string) => `${what}-${randomUUID()}`;
    const values = {
      authorization: secret('bearer'),
      cookie: secret('plaudit_session'),
      setCookie: secret('set-cookie'),
      clientAuthorization: secret('client-bearer'),
      nestedCookie: secret('nested-cookie'),
      token: secret('token'),
      password: secret('password'),
      nestedSecret: secret('secret'),
    };
    logger.info(
      {
        headers: { authorization: `Bearer ${values.authorization}`, host: 'kudos.example.com' },
      },
      'top-level headers',
    );
    logger.info(
      {
        req: { headers: { cookie: `plaudit_session=${values.cookie}` } },
        res: { headers: { 'set-cookie': [`plaudit_session=${values.setCookie}; HttpOnly`] } },
      },
      'a request and its answer',
    );
    // An HTTP client's error carries the request it made, headers and all.
    const failure = Object.assign(new Error('request failed with status 500'), {
      config: { headers: { Authorization: `Bearer ${values.clientAuthorization}` } },
      response: { config: { headers: { Cookie: values.nestedCookie } } },
    });
    logger.warn({ err: failure }, 'a call failed');
    logger.info(
      { token: values.token, user: { password: values.password, secret: values.nestedSecret } },
      'named like secrets',
    );

    const text = logs.text();
    for (const [name, value] of Object.entries(values)) expect(text, name).not.toContain(value);
    const [headers, exchange, error, named] = logs.parsed();
    expect(headers?.headers).toEqual({ authorization: '[Redacted]', host: 'kudos.example.com' });
    expect(exchange).toMatchObject({
      req: { headers: { cookie: '[Redacted]' } },
      res: { headers: { 'set-cookie': '[Redacted]' } },
    });
    expect(error).toMatchObject({
      err: {
        message: 'request failed with status 500',
        config: { headers: { Authorization: '[Redacted]' } },
        response: { config: { headers: { Cookie: '[Redacted]' } } },
      },
    });
    expect(named).toMatchObject({
      token: '[Redacted]',
      user: { password: '[Redacted]', secret: '[Redacted]' },
    });
  });
});

describe('a running Plaudit, logging at trace level', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const logs = logCapture();
  const secrets = {
    SLACK_BOT_TOKEN: `xoxb-${randomUUID()}`,
    SLACK_SIGNING_SECRET: `signing-${randomUUID()}`,
    PLAUDIT_ADMIN_TOKEN: `admin-${randomUUID()}`,
    METRICS_TOKEN: `metrics-${randomUUID()}`,
    REWARD_WEBHOOK_SECRET: `webhook-${randomUUID()}`,
  };
  const session = `plaudit_session=${randomUUID()}`;
  const guessed = `plaudit_${randomUUID().replaceAll('-', '')}`;
  let database: FreshDatabase;
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    await fake.start();
    fake.users.set('UANA', {
      id: 'UANA',
      name: 'Ana',
      profile: { display_name: 'Ana', email: 'ana@acme.example' },
    });
    database = await createFreshDatabase('log_secrets');
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'trace',
        DATABASE_URL: database.url,
        SLACK_API_URL: `${fake.url}/api/`,
        // Ana is its admin: she asks for a console link.
        PLAUDIT_INITIAL_ADMINS: 'ana@acme.example',
        ...secrets,
      }),
      { logDestination: logs.destination, print: () => {} },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
    await database?.drop();
  });

  it('writes none of its secrets, nor a session cookie or token it was sent', async () => {
    const headers = (authorization: string) => ({ authorization, cookie: session });
    const asked = [
      ['/metrics', headers(`Bearer ${secrets.METRICS_TOKEN}`)],
      ['/metrics', headers(`Bearer ${guessed}`)],
      ['/api/v1/members', headers(`Bearer ${secrets.PLAUDIT_ADMIN_TOKEN}`)],
      ['/api/v1/members', headers(`Bearer ${guessed}`)],
      ['/admin/queues', headers(`Basic ${Buffer.from(`x:${guessed}`).toString('base64')}`)],
      ['/console', headers(`Bearer ${guessed}`)],
      ['/no/such/page', headers(`Bearer ${guessed}`)],
    ] as const;
    for (const [path, sent] of asked)
      await (await fetch(`${plaudit.url}${path}`, { headers: sent })).text();
    // Slack refuses the bot's calls: the failures are logged, with their errors.
    fake.refusals.push(
      { method: 'users.info', matches: () => true, error: 'invalid_auth' },
      { method: 'chat.postEphemeral', matches: () => true, error: 'invalid_auth' },
      { method: 'chat.postMessage', matches: () => true, error: 'invalid_auth' },
    );
    await postSlashCommand(plaudit.url, secrets.SLACK_SIGNING_SECRET, {
      team_id: teamId,
      user_id: 'UANA',
      channel_id: 'C1',
      text: 'balance',
      trigger_id: 'trigger-1',
      response_url: `${fake.url}/respond/1`,
    });
    await plaudit.settled();

    const text = logs.text();
    // Lines were written, the Slack failures' errors among them.
    expect(text).toContain('Plaudit is listening');
    expect(logs.parsed().map((line) => line.msg)).toContain('a Slack command failed');
    for (const [name, value] of Object.entries(secrets)) expect(text, name).not.toContain(value);
    expect(text).not.toContain(session.split('=')[1]);
    expect(text).not.toContain(guessed);
  });

  it('writes no console sign-in link, even when its direct message fails', async () => {
    fake.refusals.length = 0;
    const slash = (text: string, n: number) =>
      postSlashCommand(plaudit.url, secrets.SLACK_SIGNING_SECRET, {
        team_id: teamId,
        user_id: 'UANA',
        channel_id: 'C1',
        text,
        trigger_id: `trigger-link-${n}`,
        response_url: `${fake.url}/respond/link-${n}`,
      });
    await slash('balance', 1);
    await plaudit.settled();
    fake.refusals.push({
      method: 'chat.postMessage',
      matches: (body) => body.channel === 'UANA',
      error: 'channel_not_found',
    });
    await slash('admin console', 2);
    await plaudit.settled();
    const fallback = String(fake.callsTo('respond/link-2')[0]?.body.text);
    const token = /sign-in\?token=([A-Za-z0-9_-]{43})/.exec(fallback)?.[1];
    expect(token).toBeDefined();
    const lines = logs.parsed();
    expect(lines.map((line) => line.msg)).toContain(
      'a direct message could not be sent; answered privately',
    );
    expect(logs.text()).not.toContain(token as string);
  });
});
