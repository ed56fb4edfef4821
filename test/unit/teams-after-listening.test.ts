import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminActor } from '../../src/admin/admin-actor.ts';
import type { TeamsBot } from '../../src/teams/teams-adapter.ts';
import { TeamsAfterListening } from '../../src/teams/teams-after-listening.ts';

/** Serves these routes on a free port; resolves with its address and a way to stop it. */
async function serve(routes: Router) {
  const app = express();
  app.use(routes);
  app.use((_req, res) => void res.status(404).json({ message: 'not here' }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

const ACTOR = { organizationId: 1, memberId: 1 } as unknown as AdminActor;

describe('local mode’s Teams adapter, started after listening', () => {
  const closing: Array<() => void> = [];
  afterEach(() => {
    for (const close of closing.splice(0)) close();
  });

  it('holds /api/messages until the adapter is ready, then hands it over; other paths pass by', async () => {
    const later = new TeamsAfterListening(pino({ level: 'silent' }));
    const server = await serve(later.routes);
    closing.push(server.close);
    const answer = fetch(`${server.url}/api/messages`, { method: 'POST', body: '{}' });
    // Not held: a path that is not the adapter's is answered while it loads.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(404);
    const bot = {
      routes: express.Router().post('/api/messages', (_req, res) => void res.status(202).end()),
      groupMirror: { platform: 'teams', sync: async () => ({ groups: 2, changed: 1, failed: [] }) },
      organizationIds: [7],
      settled: async () => {},
    } as unknown as TeamsBot;
    expect(
      await later.load(
        async () => 'code',
        async () => bot,
      ),
    ).toBe(bot);
    expect((await answer).status).toBe(202);
    expect(await later.groupMirror.sync(ACTOR)).toEqual({ groups: 2, changed: 1, failed: [] });
  });

  it('answers 503 naming the log when the adapter failed to start, and mirrors nothing', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const later = new TeamsAfterListening(logger);
    const server = await serve(later.routes);
    closing.push(server.close);
    const loading = later.load(
      async () => Promise.reject(new Error('no botbuilder')),
      async () => expect.fail('started without its code'),
    );
    expect(await loading).toBeUndefined();
    const response = await fetch(`${server.url}/api/messages`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      message: 'The Teams adapter did not start: its error is in the log.',
    });
    expect(await later.groupMirror.sync(ACTOR)).toEqual({ groups: 0, changed: 0, failed: [] });
    await later.settled();
    expect(
      logged.map((line) => JSON.parse(line) as { msg: string; err: { message: string } }),
    ).toEqual([
      expect.objectContaining({
        msg: 'the Teams adapter did not start',
        err: expect.objectContaining({ message: 'no botbuilder' }),
      }),
    ]);
  });

  it('stops without waiting for its code, and then starts nothing', async () => {
    const later = new TeamsAfterListening(pino({ level: 'silent' }));
    let codeIn = (_code: string) => {};
    const started: string[] = [];
    const loaded = later.load(
      () => new Promise<string>((resolve) => (codeIn = resolve)),
      async (code) => {
        started.push(code);
        return {} as TeamsBot;
      },
    );
    await later.stop();
    expect(await loaded).toBeUndefined();
    codeIn('code');
    // The code's arrival is handled in the microtasks that run before the next macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([]);
  });
});
