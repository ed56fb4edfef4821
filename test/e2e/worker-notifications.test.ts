import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { type RunningWorker, startWorker } from '../../src/worker.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { SIGNING_SECRET, slackEnv } from '../support/slack-plaudit.ts';
import { postSlackEvent, postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { postActivity, teamsMessage } from '../support/teams-activities.ts';
import { connectorToken, teamsScene, tenantPeople } from '../support/teams-plaudit.ts';
import { teamsSettings } from '../support/teams-settings.ts';
import { until } from '../support/until.ts';

const METRICS_TOKEN = 'worker-notifications-metrics-token-0123';

/** The notification jobs a process ran to completion, from its /metrics. */
async function notificationJobsRun(url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  let runs = 0;
  for (const [, count] of (await response.text()).matchAll(
    /^plaudit_job_duration_seconds_count\{[^}]*queue="notifications"[^}]*outcome="completed"[^}]*\} (\d+)/gm,
  )) {
    runs += Number(count);
  }
  return runs;
}

/** The names of the queue's completed jobs, sorted. */
async function completedJobs(queue: Queue): Promise<string[]> {
  return (await queue.getJobs(['completed'])).map((job) => job.name).sort();
}

/**
 * Plaudit as docker-compose deploys it: a web process (PLAUDIT_ROLE=web) and a worker
 * process (PLAUDIT_ROLE=worker) on real Redis and Postgres. The web process answers a
 * give and sends nothing after it: alone, it leaves the notifications waiting in the
 * queue. The worker, with the chat platforms' clients and no chat endpoint, sends them: the
 * celebration and the recipient's direct message in Slack, the recipient's personal
 * message in Teams. A database of their own, since a worker sweeps every organization.
 */
describe('a web process answers and a worker process sends the notifications', () => {
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await createFreshDatabase('worker_notify');
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** The web's and the worker's shared settings, with a Redis prefix of the test's own. */
  const shared = (prefix: string) => ({
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    JOBS_LOCK_MS: '2000',
    LEDGER_VERIFY_CRON: 'off',
    METRICS_TOKEN,
  });

  describe('Slack', () => {
    const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const prefix = `test-worker-notify-slack-${randomUUID()}`;
    const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
    const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
    let web: RunningPlaudit | undefined;
    let worker: RunningWorker | undefined;

    beforeAll(async () => {
      await fake.start();
      for (const name of ['Ana', 'Li']) {
        const id = `U${name.toUpperCase()}`;
        fake.addUser(id, name, `${id.toLowerCase()}@${prefix}.example`, name);
      }
    });
    afterAll(async () => {
      await web?.close();
      await worker?.close();
      await fake.stop();
      await queue.close();
      const redis = new Redis(inject('redisUrl'));
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('leaves the celebration and the DM to the worker: none while web runs alone, both once a worker runs', async () => {
      const env = { ...shared(prefix), ...slackEnv(fake) };
      web = await startPlaudit(parseConfig({ ...env, PLAUDIT_ROLE: 'web', PORT: '0' }));
      // Ana and Li open their Home tabs: Slack tells the web process, which publishes them.
      for (const user of ['UANA', 'ULI']) {
        const opened = await postSlackEvent(web.url, SIGNING_SECRET, {
          team_id: teamId,
          api_app_id: 'A1',
          type: 'event_callback',
          event_id: `Ev-home-${user}`,
          event_time: Math.floor(Date.now() / 1000),
          event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' },
        });
        expect(opened.status).toBe(200);
      }
      const homes = () => fake.callsTo('views.publish').map((call) => call.body.user_id);
      await until(() => homes().length === 2);
      const response = await postSlashCommand(web.url, SIGNING_SECRET, {
        team_id: teamId,
        user_id: 'UANA',
        channel_id: 'C1',
        text: '<@ULI> 5 for the release',
        trigger_id: 'trigger-1',
        response_url: `${fake.url}/respond/1`,
      });
      expect(response.status).toBe(200);
      expect(await slashCommandText(response, fake)).toContain('You gave 5 points');

      // The web process relayed the kudos's sends to the queue, where they wait: nobody
      // takes them.
      await until(async () => (await queue.getJobCounts('waiting')).waiting === 2);
      await web.settled();
      expect(await queue.getWorkers()).toEqual([]);
      expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual({
        waiting: 2,
        active: 0,
        completed: 0,
      });
      expect(fake.callsTo('chat.postMessage')).toEqual([]);
      expect(fake.callsTo('conversations.open')).toEqual([]);

      worker = await startWorker(parseConfig({ ...env, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' }));
      const posts = (channel: string) =>
        fake
          .callsTo('chat.postMessage')
          .filter((call) => call.body.channel === channel)
          .map((call) => call.body.text);
      await until(() => posts('C1').length > 0 && posts('DULI').length > 0);
      await until(async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
        return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0;
      });
      expect(posts('C1')).toEqual(['🎉 Ana gave Li 5 points for the release']);
      expect(posts('DULI')).toEqual(['Ana gave you 5 points for the release']);
      // The worker, which Slack never told of the openings, refreshes both open tabs.
      await until(() => homes().length === 4);
      expect(homes().slice(2).sort()).toEqual(['UANA', 'ULI']);
      // The kudos's celebration and its DM, queued by the web process's relay: both run by
      // the worker, none by web.
      expect(await completedJobs(queue)).toEqual(['celebrate-kudos', 'tell-recipient']);
      expect(await notificationJobsRun(worker.url)).toBe(2);
      expect(await notificationJobsRun(web.url)).toBe(0);
    });
  });

  describe('Teams', () => {
    const appId = randomUUID();
    const tenantId = randomUUID();
    const prefix = `test-worker-notify-teams-${randomUUID()}`;
    const connector = new FakeBotConnector();
    const inTenant = tenantPeople(connector, tenantId);
    const ana = inTenant('Ana');
    const li = inTenant('Li');
    const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
    let web: RunningPlaudit | undefined;
    let worker: RunningWorker | undefined;

    beforeAll(async () => {
      await connector.start();
    });
    afterAll(async () => {
      await web?.close();
      await worker?.close();
      await connector.stop();
      await queue.close();
      const redis = new Redis(inject('redisUrl'));
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it("leaves the recipient's personal message to the worker: none while web runs alone, sent once a worker runs", async () => {
      const teamsBot = teamsSettings(connector, appId, { TEAMS_ALLOWED_TENANTS: tenantId });
      const env = { ...shared(prefix), ...teamsBot.env };
      web = await startPlaudit(
        parseConfig({ ...env, PLAUDIT_ROLE: 'web', PORT: '0' }),
        teamsBot.options,
      );
      const scene = teamsScene(connector, appId, tenantId);
      const message = teamsMessage(scene, ana, `<at>${li.name}</at> 5 for the release`, {
        conversationType: 'channel',
        conversationId: `19:${randomUUID()}@thread.tacv2;messageid=1`,
        mentions: [li],
      });
      expect((await postActivity(web.url, message, connectorToken(connector, appId))).status).toBe(
        200,
      );

      await until(async () => (await queue.getJobCounts('waiting')).waiting === 1);
      await web.settled();
      expect(await queue.getWorkers()).toEqual([]);
      expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual({
        waiting: 1,
        active: 0,
        completed: 0,
      });
      const told = () => connector.sentTo(`a:chat-with-${li.id}`).map((sent) => sent.activity.text);
      expect(told()).toEqual([]);

      worker = await startWorker(
        parseConfig({ ...env, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' }),
        { teamsCredentials: teamsBot.options.teamsCredentials },
      );
      await until(() => told().length > 0);
      await until(async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
        return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0;
      });
      expect(told()).toEqual(['🎉 Ana gave you 5 points for the release']);
      // The kudos's personal message, queued by the web process's relay (no announcement
      // channel is chosen: nothing to post there), run by the worker, not by web.
      expect(await completedJobs(queue)).toEqual(['tell-recipient']);
      expect(await notificationJobsRun(worker.url)).toBe(1);
      expect(await notificationJobsRun(web.url)).toBe(0);
    });
  });
});
