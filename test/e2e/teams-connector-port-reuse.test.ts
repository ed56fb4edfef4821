import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { postActivity, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

/**
 * Test files share their process (`isolate: false`), and botbuilder keeps the Bot
 * Framework's keys in a static cache by OpenID metadata URL, refreshed at most once an
 * hour. A fake connector that comes up on a port an earlier file's fake had used must
 * still have its own keys read: it did not, and a CI run got 401 for a valid token.
 */
describe('a fake Bot Connector on a port an earlier one used', () => {
  const running: Array<{ plaudit: RunningPlaudit; connector: FakeBotConnector }> = [];
  afterEach(async () => {
    for (const { plaudit, connector } of running.splice(0)) {
      await plaudit.close();
      await connector.stop();
    }
  });

  /** A Plaudit of its own on `connector`, and the status of a valid `help` sent to it. */
  async function helpThrough(connector: FakeBotConnector): Promise<number> {
    const appId = randomUUID();
    const tenantId = randomUUID();
    const plaudit = await startTeamsPlaudit(connector, appId, { TEAMS_ALLOWED_TENANTS: tenantId });
    running.push({ plaudit, connector });
    const ana = tenantPeople(connector, tenantId)('Ana');
    const message = teamsMessage(teamsScene(connector, appId, tenantId), ana, 'help');
    return (await postActivity(plaudit.url, message, connectorToken(connector, appId))).status;
  }

  it('has the keys it signs with read, not the earlier fake’s', async () => {
    const first = await new FakeBotConnector().start();
    const port = Number(new URL(first.url).port);
    expect(await helpThrough(first)).toBe(200);
    const { plaudit } = running.pop() as { plaudit: RunningPlaudit };
    await plaudit.close();
    await first.stop();

    const second = await new FakeBotConnector().start(port);
    expect(second.url).toBe(first.url);
    expect(await helpThrough(second)).toBe(200);
  });
});
