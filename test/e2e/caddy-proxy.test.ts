import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { type RunningCaddy, startCaddy } from '../support/caddy.ts';
import { parseExposition, total } from '../support/exposition.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { runProcess } from '../support/npm-script.ts';
import { requiredBinary } from '../support/required-binary.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlashCommand } from '../support/slack-requests.ts';

const CADDYFILE = fileURLToPath(new URL('../../deploy/caddy/Caddyfile', import.meta.url));

/**
 * A GET with the path sent exactly as written (fetch would normalize `..` and the like),
 * from a client address of this machine's own (127.0.0.x) when given.
 */
function rawGet(
  base: string,
  rawPath: string,
  headers: Record<string, string> = {},
  from?: string,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sent = request(
      { hostname, port, path: rawPath, headers, localAddress: from },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

describe('deploy/caddy: the real Caddy in front of a running Plaudit, as the proxy profile runs it', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let caddy: RunningCaddy;

  beforeAll(async () => {
    await fake.start();
    fake.users.set('UANA', {
      id: 'UANA',
      name: 'Ana',
      profile: { display_name: 'Ana', email: 'ana@acme.example' },
    });
    // No metrics token: /metrics is open on Plaudit's own port, as in a deployment that
    // relies on the proxy to keep it in.
    plaudit = await startSlackPlaudit(fake);
    caddy = await startCaddy({ upstream: new URL(plaudit.url).host });
  });
  afterAll(async () => {
    await caddy?.stop();
    await plaudit?.close();
    await fake.stop();
  });

  it('is a configuration `caddy validate` accepts for an https site, as CI checks it', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'plaudit-caddy-validate-'));
    try {
      const validated = await runProcess(
        requiredBinary('caddy', 'caddy'),
        ['validate', '--config', CADDYFILE, '--adapter', 'caddyfile'],
        {
          HOME: home,
          XDG_DATA_HOME: home,
          XDG_CONFIG_HOME: home,
          PLAUDIT_SITE: 'https://kudos.example.com',
        },
      );
      expect(validated, validated.stderr).toMatchObject({ code: 0 });
      expect(validated.stdout).toContain('Valid configuration');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("passes a signed Slack command through unchanged and brings Plaudit's answer back", async () => {
    // Slack signs the raw body: a proxy that changed a byte of it or its headers would get 401.
    const refused = await postSlashCommand(caddy.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: 'UANA',
      channel_id: 'C1',
      text: '<@UANA|ana> 5 for me',
      trigger_id: 'trigger-caddy-1',
      response_url: `${fake.url}/respond/caddy-1`,
    });
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.body)).toMatchObject({
      text: expect.stringContaining('You cannot give kudos to yourself'),
    });
    const health = await fetch(`${caddy.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('answers /metrics itself, in every spelling Express would serve, so Plaudit never sees one', async () => {
    // Express matches paths without regard to letter case or a trailing slash: Plaudit's
    // own port serves these two as /metrics.
    for (const spelling of ['/METRICS', '/metrics/']) {
      const direct = await rawGet(plaudit.url, spelling);
      expect(direct.status, spelling).toBe(200);
      expect(direct.body, spelling).toContain('plaudit_http_requests_total');
    }
    for (const spelling of [
      '/metrics',
      '/metrics/',
      '/METRICS',
      '/Metrics?format=text',
      '//metrics',
      '/metrics/../metrics',
      '/%6Detrics',
    ]) {
      const proxied = await rawGet(caddy.url, spelling);
      expect({ spelling, status: proxied.status }).toEqual({ spelling, status: 404 });
      expect(proxied.body, spelling).not.toContain('plaudit_');
    }
    // Plaudit counted the two direct scrapes, and none through the proxy.
    const samples = parseExposition(await (await fetch(`${plaudit.url}/metrics`)).text());
    expect(total(samples, 'plaudit_http_requests_total', { route: '/metrics' })).toBe(2);
  });

  it('refuses a PUBLIC_URL with a path, which Caddy would take as the only path to serve', async () => {
    await expect(
      startCaddy({
        upstream: new URL(plaudit.url).host,
        publicUrl: (port) => `http://127.0.0.1:${port}/kudos`,
      }),
    ).rejects.toThrow(
      /exited with 78[\s\S]*PUBLIC_URL \(http:\/\/127\.0\.0\.1:\d+\/kudos\) has a path/,
    );
  });
});

describe('deploy/caddy: what the upstream is told of the client', () => {
  let upstream: Server;
  let caddy: RunningCaddy;
  let received: IncomingHttpHeaders | undefined;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      received = req.headers;
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    caddy = await startCaddy({ upstream: `127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await caddy?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('keeps Host, and sets X-Forwarded-For from the connection, not from what the client claims', async () => {
    const answered = await rawGet(caddy.url, '/slack/events', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
    });
    expect(answered).toEqual({ status: 200, body: 'ok' });
    const { host } = new URL(caddy.url);
    expect(received).toMatchObject({
      host,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': host,
    });
  });
});

describe('deploy/caddy with TRUST_PROXY: one client behind the proxy cannot lock out the others', () => {
  const LIMIT = 2;
  const WRONG = { authorization: 'Bearer not-a-plaudit-api-token-at-all-000000' };
  const fake = new FakeSlackApi({
    id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
    name: 'Acme',
    botUserId: 'UBOT',
  });
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  // Unset, every client behind Caddy has Caddy's address, and one count of failed guesses.
  it.each([
    { TRUST_PROXY: 'loopback', other: 401 },
    { TRUST_PROXY: '', other: 429 },
  ])(
    'with TRUST_PROXY=$TRUST_PROXY, another client then gets $other',
    async ({ TRUST_PROXY, other }) => {
      const plaudit = await startSlackPlaudit(fake, {
        API_AUTH_FAILURE_LIMIT: String(LIMIT),
        TRUST_PROXY,
      });
      const caddy = await startCaddy({ upstream: new URL(plaudit.url).host });
      try {
        // One client (127.0.0.2) guesses API tokens through the proxy until it is locked out.
        const guesses: number[] = [];
        for (let guess = 0; guess <= LIMIT; guess++) {
          guesses.push((await rawGet(caddy.url, '/api/v1/members', WRONG, '127.0.0.2')).status);
        }
        expect(guesses).toEqual([...Array(LIMIT).fill(401), 429]);
        // Another (127.0.0.3) with its first guess.
        const first = await rawGet(caddy.url, '/api/v1/members', WRONG, '127.0.0.3');
        expect(first.status).toBe(other);
      } finally {
        await caddy.stop();
        await plaudit.close();
      }
    },
  );
});
