import { randomUUID } from 'node:crypto';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { startWebBesideTaker, type WebBesideTaker } from '../support/notification-taker.ts';
import { SIGNING_SECRET, slackWebEnv } from '../support/slack-plaudit.ts';
import { postSlashCommand, slashCommandText } from '../support/slack-requests.ts';
import { until } from '../support/until.ts';

/**
 * The notifications queue on BullMQ and real Redis, with Slack's Web API faked: each send
 * is a job of its own, paced per channel and per person, retried when the failure passes,
 * and failed at once (not retried) when Slack says it never can be delivered.
 */
describe('Slack notifications as jobs: pacing, retries, and failures for good', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const prefix = `test-notify-${randomUUID()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
  let plaudit: RunningPlaudit;
  let running: WebBesideTaker | undefined;
  let triggers = 0;

  const give = async (channel: string, text: string) => {
    const response = await postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: 'UANA',
      channel_id: channel,
      text,
      trigger_id: `trigger-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });
    expect(response.status).toBe(200);
    expect(await slashCommandText(response, fake)).toContain('You gave');
  };
  const postsTo = (channel: string) =>
    fake.callsTo('chat.postMessage').filter((call) => call.body.channel === channel);
  /** Every job of the queue has run to its end: retries done, nothing delayed. */
  const idle = () =>
    until(async () => {
      await plaudit.settled();
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((count) => count === 0);
    }, 60_000);
  /** The jobs of one kind that ended in one state, for the recipients' Slack ids given. */
  async function jobsFor(state: 'completed' | 'failed', name: string): Promise<Job[]> {
    return (await queue.getJobs([state])).filter((job) => job.name === name);
  }

  beforeAll(async () => {
    await fake.start();
    for (const name of ['Ana', 'Li', 'Jo', 'Kim', 'Gone', 'Max']) {
      const id = `U${name.toUpperCase()}`;
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${id.toLowerCase()}@${prefix}.example` },
      });
    }
    // A web process answers; the notifications are a worker's: its taker, beside it.
    running = await startWebBesideTaker(slackWebEnv(fake, prefix));
    plaudit = running.plaudit;
  });
  afterAll(async () => {
    await running?.close();
    await fake.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('fails a message to someone who left at once, without a retry, and still tells the others', async () => {
    fake.refusals.push({
      method: 'conversations.open',
      matches: (body) => body.users === 'UGONE',
      error: 'account_inactive',
    });
    await give('C1', '<@ULI> <@UGONE> 2 for the handover');
    await idle();
    const opens = fake.callsTo('conversations.open').filter((call) => call.body.users === 'UGONE');
    expect(opens).toHaveLength(1);
    const [failed, ...more] = await jobsFor('failed', 'tell-recipient');
    expect(more).toEqual([]);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('account_inactive');
    expect(postsTo('DULI').map((call) => call.body.text)).toEqual([
      'Ana gave you 2 points for the handover',
    ]);
    expect(postsTo('C1')).toHaveLength(1);
  });

  it('retries a message Slack failed to take, and sends it once', async () => {
    fake.refusals.push({
      method: 'chat.postMessage',
      matches: (body) => body.channel === 'DUJO',
      error: 'internal_error',
      times: 1,
    });
    await give('C2', '<@UJO> 3 for the fix');
    await idle();
    // One refused, one taken: Jo reads the message once.
    expect(postsTo('DUJO').map((call) => call.body.text)).toEqual([
      'Ana gave you 3 points for the fix',
      'Ana gave you 3 points for the fix',
    ]);
    // BullMQ counts the attempt that completes a job: a retried one has made two.
    const retried = (await jobsFor('completed', 'tell-recipient')).filter(
      (job) => job.attemptsMade > 1,
    );
    expect(retried.map((job) => job.attemptsMade)).toEqual([2]);
    expect(await jobsFor('failed', 'tell-recipient')).toHaveLength(1);
  });

  it('fails the celebration at once when the bot was removed from the channel; the recipient is still told', async () => {
    fake.refusals.push({
      method: 'chat.postMessage',
      matches: (body) => body.channel === 'C3',
      error: 'not_in_channel',
    });
    await give('C3', '<@UKIM> 4 for the review');
    await idle();
    expect(postsTo('C3')).toHaveLength(1);
    const [failed, ...more] = await jobsFor('failed', 'celebrate-kudos');
    expect(more).toEqual([]);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('not_in_channel');
    expect(postsTo('DUKIM').map((call) => call.body.text)).toEqual([
      'Ana gave you 4 points for the review',
    ]);
  });

  it('posts in a channel at most once a second, without counting an attempt', async () => {
    const before = new Set((await jobsFor('completed', 'celebrate-kudos')).map((job) => job.id));
    await give('C4', '<@ULI> 1 for one');
    await give('C4', '<@UJO> 1 for two');
    await give('C4', '<@UMAX> 1 for three');
    await give('C4', '<@UKIM> 1 for four');
    await idle();
    const posts = postsTo('C4');
    // Four jobs run at once and take their turns in whatever order they get there.
    expect(posts.map((call) => String(call.body.text)).sort()).toEqual([
      expect.stringContaining('Jo 1 point for two'),
      expect.stringContaining('Kim 1 point for four'),
      expect.stringContaining('Li 1 point for one'),
      expect.stringContaining('Max 1 point for three'),
    ]);
    const gaps = posts.slice(1).map((call, index) => call.at - (posts[index]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(950);
    // Waiting for a turn is no attempt (BullMQ counts the one that completes a job): the
    // jobs that waited were started again, and completed on their first attempt.
    const celebrations = (await jobsFor('completed', 'celebrate-kudos')).filter(
      (job) => !before.has(job.id),
    );
    expect(celebrations.map((job) => job.attemptsMade)).toEqual([1, 1, 1, 1]);
    expect(celebrations.filter((job) => job.attemptsStarted > 1).length).toBeGreaterThanOrEqual(3);
  });
});
