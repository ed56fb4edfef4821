import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { migratedDataFolder } from '../support/databases.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { emulatorMessage, postActivity } from '../support/teams-activities.ts';

interface ConsoleAnswer {
  reply: { text: string; outcome: string; code: string | null };
  announcements: string[];
}

describe('local mode on the embedded database', () => {
  let folder: string;
  let plaudit: RunningPlaudit;
  const start = () =>
    startPlaudit(
      parseConfig({ PORT: '0', PLAUDIT_DATA_DIR: path.join(folder, 'data'), LOG_LEVEL: 'silent' }),
    );
  const send = async (body: unknown) => {
    const response = await fetch(`${plaudit.url}/api/console/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as ConsoleAnswer & { message?: string },
    };
  };

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-local-'));
    await migratedDataFolder(path.join(folder, 'data'));
    plaudit = await start();
  });
  afterAll(async () => {
    await plaudit?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('serves the local console page and the demo members', async () => {
    const page = await fetch(`${plaudit.url}/console/try`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form id="command-form">');
    const { members } = (await (await fetch(`${plaudit.url}/api/console/members`)).json()) as {
      members: Array<{ handle: string; displayName: string }>;
    };
    expect(members.map((member) => member.handle)).toEqual([
      'ana',
      'li',
      'jose',
      'tanaka',
      'sam',
      'deploybot',
    ]);
  });

  it('signs the demo admin in to the web console directly, and HR by handle', async () => {
    const ana = new ConsoleClient(plaudit.url);
    const first = await ana.get('/console');
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toMatch(/^plaudit_session=.+; HttpOnly; SameSite=Lax$/);
    expect(first.html).toContain('<h1>Overview</h1>');
    expect(first.html).toContain('Hello, Ana Silva.');
    expect(first.html).toContain('href="/console/try"');
    const jose = new ConsoleClient(plaudit.url);
    expect((await jose.get('/console/sign-in?as=jose')).status).toBe(303);
    expect((await jose.get('/console')).html).toContain('Hello, José García.');
    const li = await new ConsoleClient(plaudit.url).get('/console/sign-in?as=li');
    expect(li.status).toBe(403);
    expect(li.html).toContain('That demo member is neither an admin nor HR.');
  });

  it("has its admin in the demo's Ana, with no setting and no grant", async () => {
    const li = await send({ member: 'li', text: 'admin allow-give everyone' });
    expect(li.body.reply).toMatchObject({
      code: 'not_admin',
      text: 'Only admins can change who may give kudos; ask an admin if this needs doing.',
    });
    const ana = await send({ member: 'ana', text: 'admin allow-give everyone' });
    expect(ana.body.reply, ana.body.reply.text).toMatchObject({ outcome: 'ok', code: null });
  });

  it('gives kudos through POST /api/console/commands and reads the balances back', async () => {
    const give = await send({
      member: 'ana',
      text: '/kudos @li @tanaka 10 for the launch #teamwork',
      requestId: 'e2e-1',
    });
    expect(give.status).toBe(200);
    expect(give.body.reply).toMatchObject({ outcome: 'ok', code: null });
    expect(give.body.announcements).toEqual([
      '🎉 Ana Silva gave Li Wei and 田中 Yuki 10 points for the launch #teamwork',
    ]);
    const again = await send({
      member: 'ana',
      text: '/kudos @li @tanaka 10 for the launch #teamwork',
      requestId: 'e2e-1',
    });
    expect(again.body.announcements).toEqual([]);

    const li = await send({ member: 'li', text: 'balance' });
    expect(li.body.reply.text).toMatch(/You have earned 10 points to spend\.$/);
    const ana = await send({ member: 'ana', text: '/kudos balance' });
    expect(ana.body.reply.text).toMatch(/^You have 80 points left to give this month/);
    const refused = await send({ member: 'ana', text: '@sam 5 for help' });
    expect(refused.body.reply).toMatchObject({ outcome: 'refused', code: 'guest_excluded' });
  });

  it('answers broken requests with 400 or 404 and a sentence', async () => {
    expect(await send('{not json')).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'The body is not valid JSON.' },
    });
    expect((await send({ text: 'hello' })).status).toBe(400);
    expect(await send({ member: 'zoe', text: 'balance' })).toEqual({
      status: 404,
      body: { error: 'unknown_member', message: 'There is no demo member called zoe.' },
    });
    // Postgres cannot store a NUL: it is refused before anything reads it.
    const nul = {
      status: 400,
      body: {
        error: 'bad_request',
        message: 'The body holds a NUL character (\\u0000), which Plaudit cannot store.',
      },
    };
    expect(await send({ member: 'ana\u0000', text: 'balance' })).toEqual(nul);
    expect(await send({ member: 'ana', text: '@li 5 for \u0000' })).toEqual(nul);
    const signIn = await fetch(`${plaudit.url}/console/sign-in?as=ana%00`, { redirect: 'manual' });
    expect(signIn.status).toBe(400);
  });

  it('takes Bot Framework Emulator activities on /api/messages without a token', async () => {
    const connector = await new FakeBotConnector().start();
    try {
      const activity = emulatorMessage(connector.serviceUrl, {
        id: 'emulator-1',
        conversationId: 'emulator-chat',
        text: 'balance',
      });
      const response = await postActivity(plaudit.url, activity);
      expect(response.status).toBe(200);
      await plaudit.settled();
      const [reply] = connector.sentTo('emulator-chat');
      expect(reply?.authorization).toBeUndefined();
      expect(String(reply?.activity.summary)).toMatch(/^You have 100 points left to give/);
      // The Emulator's user joined the demo organization, next to the console's people.
      const { rows } = await sql<{ name: string }>`
        select o.name from platform_identities p
        join organizations o on o.id = p.organization_id
        where p.platform = 'teams' and p.user_id = 'emulator-user'`.execute(plaudit.db);
      expect(rows).toEqual([{ name: 'Demo Company' }]);
    } finally {
      await connector.stop();
    }
  });

  it('keeps its data across a restart and creates the demo organization once', async () => {
    await plaudit.close();
    plaudit = await start();
    const li = await send({ member: 'li', text: 'balance' });
    expect(li.body.reply.text).toMatch(/You have earned 10 points to spend\.$/);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from organizations`.execute(
      plaudit.db,
    );
    expect(rows[0]?.n).toBe(1);
  });
});
