import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { startWebBesideTaker, type WebBesideTaker } from '../support/notification-taker.ts';
import { SIGNING_SECRET, slackWebEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/until.ts';

/**
 * Kudos given while Redis is away are kept in the outbox, written with the recognition,
 * and announced once Redis is back: every recipient hears of each kudos once.
 */
describe('notifications through the outbox and the queue, with Redis going away', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const prefix = `test-outbox-${randomUUID()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const redisUrl = new URL(inject('redisUrl'));
  const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  let plaudit: RunningPlaudit;
  let running: WebBesideTaker | undefined;
  let triggers = 0;

  const give = (user: string, text: string) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });
  /** The lines of every DM a Slack user was sent. */
  const dmLines = (user: string) =>
    fake
      .callsTo('chat.postMessage')
      .filter((call) => call.body.channel === `D${user}`)
      .flatMap((call) => String(call.body.text).split('\n'));
  async function outbox(): Promise<{ waiting: number; queued: number }> {
    const { rows } = await sql<{ waiting: number; queued: number }>`
      select count(*) filter (where o.queued_at is null)::int as waiting,
        count(*) filter (where o.queued_at is not null)::int as queued
      from notification_outbox o
      join slack_workspaces w on w.organization_id = o.organization_id
      where w.team_id = ${teamId}`.execute(plaudit.db);
    return rows[0] ?? { waiting: 0, queued: 0 };
  }

  beforeAll(async () => {
    await Promise.all([fake.start(), proxy.start()]);
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
      ['UJO', 'Jo'],
      ['UKIM', 'Kim'],
    ]) {
      fake.users.set(id as string, {
        id: id as string,
        name: name as string,
        profile: { display_name: name, email: `${id?.toLowerCase()}@${prefix}.example` },
      });
    }
    // A web process answers; the notifications are a worker's: its taker, beside it.
    running = await startWebBesideTaker(
      slackWebEnv(fake, prefix, {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        JOBS_LOCK_MS: '2000',
      }),
    );
    plaudit = running.plaudit;
  });
  afterAll(async () => {
    await running?.close();
    await proxy.cut();
    await fake.stop();
    const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('announces a kudos through the queue, once', async () => {
    const response = await give('UANA', '<@ULI> 5 for the queue');
    expect(response.status).toBe(200);
    await until(() => dmLines('ULI').length === 1);
    expect(dmLines('ULI')).toEqual(['Ana gave you 5 points for the queue']);
    expect(await outbox()).toEqual({ waiting: 0, queued: 1 });
  });

  it('keeps giving while Redis is away, and announces everything once it is back', {
    timeout: 120_000,
  }, async () => {
    await proxy.cut();
    for (const [recipient, reason] of [
      ['ULI', 'the outage'],
      ['UJO', 'staying calm'],
      ['UKIM', 'the runbook'],
    ] as const) {
      const response = await give('UANA', `<@${recipient}> 2 for ${reason}`);
      expect(response.status).toBe(200);
      expect(await slashCommandText(response, fake)).toContain('You gave 2 points');
    }
    await plaudit.settled();
    // Written with the recognitions, waiting for the queue.
    expect(await outbox()).toEqual({ waiting: 3, queued: 1 });
    expect(dmLines('UJO')).toEqual([]);

    await proxy.start();
    // Once Redis answers again, the outbox is being relayed: not at the relay's next round.
    await until(
      () =>
        plaudit.jobs.ping().then(
          () => true,
          () => false,
        ),
      45_000,
    );
    await plaudit.settled();
    expect(await outbox()).toEqual({ waiting: 0, queued: 4 });
    await until(
      () => dmLines('UJO').length > 0 && dmLines('UKIM').length > 0 && dmLines('ULI').length === 2,
      45_000,
    );
    // Every job done: nothing more is coming.
    const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
    try {
      await until(async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
        return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0;
      }, 45_000);
      // Each kudos: one celebration and one message per recipient, queued by the relay.
      const names = (await queue.getJobs(['completed'])).map((job) => job.name).sort();
      expect(names).toEqual([
        ...Array(4).fill('celebrate-kudos'),
        ...Array(4).fill('tell-recipient'),
      ]);
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    } finally {
      await queue.close();
    }
    await plaudit.settled();
    expect(dmLines('ULI')).toEqual([
      'Ana gave you 5 points for the queue',
      'Ana gave you 2 points for the outage',
    ]);
    expect(dmLines('UJO')).toEqual(['Ana gave you 2 points for staying calm']);
    expect(dmLines('UKIM')).toEqual(['Ana gave you 2 points for the runbook']);
    expect(await outbox()).toEqual({ waiting: 0, queued: 4 });
    expect(
      fake.callsTo('chat.postMessage').filter((call) => call.body.channel === 'C1'),
    ).toHaveLength(4);
  });
});
