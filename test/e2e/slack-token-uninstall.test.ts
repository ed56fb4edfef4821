import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { connectWorkspace } from '../../src/slack/slack-workspaces.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { organizationSnapshot } from '../support/organization-snapshot.ts';
import { SIGNING_SECRET, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

/**
 * SLACK_BOT_TOKEN is one fixed installation: when Slack says the app was uninstalled, the
 * workspace's requests get 401 (until a restart with a new token), and every point stays.
 */
describe('the single-token Slack adapter, uninstalled', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const give = (text: string) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: 'UANA',
      channel_id: 'C1',
      text,
      trigger_id: `t${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });

  beforeAll(async () => {
    await fake.start();
    fake.addUser('UANA', 'Ana', `ana@${teamId.toLowerCase()}.example`);
    fake.addUser('ULI', 'Li', `li@${teamId.toLowerCase()}.example`);
    plaudit = await startSlackPlaudit(fake);
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it("serves only the token's own workspace, not another one in the database", async () => {
    // A workspace an OAuth install (or another deployment's token) once connected here.
    const other = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const elsewhere = await connectWorkspace(plaudit.db, {
      teamId: other,
      teamName: 'Globex',
      enterpriseId: null,
      botUserId: 'UBOTG',
    });
    const before = await organizationSnapshot(plaudit.db, elsewhere.organizationId);
    const sent = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: other,
      user_id: 'UGLOBEX',
      channel_id: 'C9',
      text: '<@UANA> 5 for nothing',
      trigger_id: 'tg',
      response_url: `${fake.url}/respond/globex`,
    });
    expect(sent.status).toBe(401);
    expect(fake.calls.filter((call) => call.method === 'users.info')).toEqual([]);
    expect(await organizationSnapshot(plaudit.db, elsewhere.organizationId)).toEqual(before);
  });

  it('refuses the workspace after app_uninstalled, with its points kept', async () => {
    expect((await give('<@ULI> 5 for the docs')).status).toBe(200);
    await plaudit.settled();
    const organizationId = plaudit.slack?.workspace?.organizationId as number;
    const before = await organizationSnapshot(plaudit.db, organizationId);
    const uninstalled = await postSlackEvent(plaudit.url, SIGNING_SECRET, {
      token: 'deprecated',
      team_id: teamId,
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev-uninstall-${teamId}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_uninstalled' },
    });
    expect(uninstalled.status).toBe(200);
    await until(async () => (await give('balance')).status === 401);
    expect((await give('<@ULI> 5 for more')).status).toBe(401);
    expect(await organizationSnapshot(plaudit.db, organizationId)).toEqual(before);
  });
});
