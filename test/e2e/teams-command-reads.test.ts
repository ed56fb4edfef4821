import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { statementsDuring } from '../support/statements-sent.ts';
import { postActivity, type TeamsScene, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';

/**
 * What a Teams give reads before it moves points: its tenant (its organization, which an
 * admin may link elsewhere), the member who sent it and the members it mentions. At 200
 * gives a second each round trip to Postgres is on the giver's answer, so they are read in
 * one statement; someone mentioned who is no member yet is found and made as before.
 */
describe('a Teams give reads its tenant, giver and recipients in one statement', () => {
  const appId = randomUUID();
  const tenantId = randomUUID();
  const connector = new FakeBotConnector();
  const person = tenantPeople(connector, tenantId);
  const ana = person('Ana');
  const li = person('Li');
  const jose = person('José');
  const newcomer = person('Nia Newcomer');
  let plaudit: RunningPlaudit;
  let scene: TeamsScene;

  const send = async (activity: Record<string, unknown>) => {
    const response = await postActivity(plaudit.url, activity, connectorToken(connector, appId));
    expect(response.status).toBe(200);
    await plaudit.settled();
    const [reply] = connector.answersTo(activity).map((sent) => sent.activity);
    return String(reply?.text ?? reply?.summary ?? '');
  };

  beforeAll(async () => {
    await connector.start();
    scene = teamsScene(connector, appId, tenantId);
    plaudit = await startTeamsPlaudit(connector, appId, { TEAMS_ALLOWED_TENANTS: tenantId });
    // Everyone but the newcomer has met Plaudit once: members, allowance periods, settings.
    for (const user of [ana, li, jose]) await send(teamsMessage(scene, user, 'balance'));
  });
  afterAll(async () => {
    await plaudit?.close();
    await connector.stop();
  });

  it('reads the tenant, the giver and every recipient in one statement, then gives in one more', async () => {
    let text = '';
    const give = teamsMessage(scene, ana, `give <at>Li</at> <at>José</at> 2 for the launch`, {
      mentions: [li, jose],
    });
    const statements = await statementsDuring(async () => {
      text = await send(give);
    });
    expect(text).toContain('You gave 2 points to Li and José');
    const reads = statements.filter((statement) =>
      /\b(teams_tenants|teams_users|platform_identities|members)\b/.test(statement),
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/teams_tenants.*members.*teams_users.*members/s);
    const gives = statements.filter((statement) => /insert into ledger_requests/.test(statement));
    expect(gives).toHaveLength(1);
  });

  it('still finds and makes a mentioned person who is no member yet', async () => {
    // In a channel, where Teams lists its people: a personal chat knows only those met.
    const text = await send(
      teamsMessage(scene, ana, `give <at>Nia Newcomer</at> 1 for the onboarding`, {
        conversationType: 'channel',
        conversationId: `19:${randomUUID()}@thread.tacv2`,
        mentions: [newcomer],
      }),
    );
    expect(text).toContain('You gave 1 point to Nia Newcomer');
  });
});
