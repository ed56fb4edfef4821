import { afterAll, describe, expect, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { emulatorMessage, postActivity } from '../support/teams-activities.ts';
import { until } from '../support/until.ts';

/**
 * Local mode serves the Bot Framework Emulator's Teams, whose adapter (teams-ai and
 * botbuilder) took 0.7 s of the quickstart's start on this 2-core machine: it starts once
 * the process listens, and what needs it waits for it.
 */
describe("local mode's Teams adapter", () => {
  let database: FreshDatabase | undefined;
  let plaudit: RunningPlaudit | undefined;
  const connector = new FakeBotConnector();
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
    await database?.drop();
  });

  it('starts after the process listens, and an Emulator activity sent at once is answered once it is ready', async () => {
    await connector.start();
    database = await createFreshDatabase('local_teams_start', { migrated: true });
    const lines: string[] = [];
    plaudit = await startPlaudit(
      parseConfig({ PORT: '0', DATABASE_URL: database.url, LOG_LEVEL: 'info' }),
      { logDestination: { write: (line: string) => void lines.push(line) }, print: () => {} },
    );
    const messages = () => lines.map((line) => String((JSON.parse(line) as { msg: unknown }).msg));
    expect(messages()).toContain('Plaudit is listening');
    expect(messages()).not.toContain('Teams adapter ready');

    const response = await postActivity(
      plaudit.url,
      emulatorMessage(connector.serviceUrl, {
        id: 'emulator-first',
        conversationId: 'emulator-first-chat',
        text: 'balance',
      }),
    );
    expect(response.status).toBe(200);
    await plaudit.settled();
    const [reply] = connector.sentTo('emulator-first-chat');
    expect(String(reply?.activity.summary)).toMatch(/^You have 100 points left to give/);
    const order = messages();
    expect(order.indexOf('Teams adapter ready')).toBeGreaterThan(
      order.indexOf('Plaudit is listening'),
    );
    // The schedules, whose jobs may send to Teams, are kept once it is ready.
    await until(() => messages().includes('allowance resets scheduled'));
    expect(order.indexOf('allowance resets scheduled')).toBeGreaterThan(
      order.indexOf('Teams adapter ready'),
    );
  });
});
