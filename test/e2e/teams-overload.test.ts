import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { BUSY_TEXT } from '../../src/core/command-admission.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';
import { until } from '../support/until.ts';

const APP_ID = randomUUID();

/**
 * A Teams message is either taken and answered, or shed before anything is looked up or
 * done, with a quick answer that nothing happened.
 */
describe('Teams messages while the process is saturated', () => {
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;
  const person = tenantPeople(connector, tenantId);
  const held = person('Hal Held');
  const ana = person('Ana');
  const li = person('Li');

  const post = (activity: Record<string, unknown>) =>
    postActivity(plaudit.url, activity, connectorToken(connector, APP_ID));
  const repliesTo = (activity: Record<string, unknown>) =>
    connector.answersTo(activity).map((sent) => sent.activity);
  async function recognitions(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from recognitions r
      join teams_tenants t on t.organization_id = r.organization_id
      where t.tenant_id = ${tenantId}`.execute(plaudit.db);
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, APP_ID, tenantId);
    plaudit = await startTeamsPlaudit(
      connector,
      APP_ID,
      { TEAMS_ALLOWED_TENANTS: tenantId },
      { CHAT_COMMANDS_IN_FLIGHT: '1' },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('answers a second message that it is busy, giving nothing, while the first is in flight; the first is answered', async () => {
    // The first message waits on the connector for who its sender is: it holds the only place.
    const release = connector.hold(
      (method, path) =>
        method === 'GET' && path.includes(`/members/${encodeURIComponent(held.id)}`),
    );
    // In a channel, where the people mentioned are members the connector can tell of.
    const channel = {
      conversationType: 'channel' as const,
      conversationId: `19:${randomUUID()}@thread.tacv2`,
    };
    const first = teamsMessage(scene, held, 'give <at>Li</at> 5 for holding the fort', {
      ...channel,
      mentions: [li],
    });
    const firstAnswered = post(first);
    await until(() => connector.held === 1);

    const second = teamsMessage(scene, ana, 'give <at>Li</at> 5 for the launch', {
      ...channel,
      mentions: [li],
    });
    expect((await post(second)).status).toBe(200);
    expect(repliesTo(second).map((reply) => reply.text)).toEqual([BUSY_TEXT]);
    expect(connector.memberLookups).not.toContain(ana.id);
    expect(await recognitions()).toBe(0);

    release();
    expect((await firstAnswered).status).toBe(200);
    await plaudit.settled();
    expect(repliesTo(first)).toHaveLength(1);
    expect(repliesTo(first)[0]?.summary).toMatch(/^You gave 5 points to Li for holding the fort/);
    expect(await recognitions()).toBe(1);
  });
});
