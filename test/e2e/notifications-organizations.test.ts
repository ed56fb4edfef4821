import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningPlaudit } from '../../src/app.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { createConnectedOrganization } from '../../src/directory/organizations.ts';
import { TELL_PERSON } from '../../src/notifications/kudos-notifications.ts';
import { connectTenant } from '../../src/teams/teams-tenants.ts';
import { FakeBotConnector } from '../support/fake-bot-connector.ts';
import type { NotificationTaker } from '../support/notification-taker.ts';
import { postActivity, teamsMessage } from '../support/teams-activities.ts';
import {
  connectorToken,
  startTeamsPlaudit,
  takeTeamsNotificationsBeside,
  teamsScene,
  tenantPeople,
} from '../support/teams-plaudit.ts';
import { until } from '../support/until.ts';

const APP_ID = randomUUID();

/**
 * One deployment, two organizations, their notifications through the outbox and BullMQ on
 * Redis: an organization that appeared after the process started (a tenant given an
 * organization of its own, as an install does) is relayed too, and each organization's
 * personal messages reach its own people, in its own tenant, and nobody else.
 */
describe('notifications of organizations that appear after start', () => {
  const prefix = `test-orgs-outbox-${randomUUID()}`;
  const connector = new FakeBotConnector();
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const inA = tenantPeople(connector, tenantA);
  const inB = tenantPeople(connector, tenantB);
  const ana = inA('Ana');
  const li = inA('Li');
  const bea = inB('Bea');
  const dee = inB('Dee');
  let plaudit: RunningPlaudit;
  let taker: NotificationTaker | undefined;
  let notifications: Queue;

  /** Kudos given in a channel of a tenant; resolves once the command is answered. */
  const give = async (tenantId: string, from: typeof ana, to: typeof ana, reason: string) => {
    const scene = teamsScene(connector, APP_ID, tenantId);
    const message = teamsMessage(scene, from, `<at>${to.name}</at> 5 for ${reason}`, {
      conversationType: 'channel',
      conversationId: `19:${randomUUID()}@thread.tacv2;messageid=1`,
      mentions: [to],
    });
    const response = await postActivity(plaudit.url, message, connectorToken(connector, APP_ID));
    // The answer in the channel is the Teams adapter's own business (teams-messages.test.ts);
    // what this test follows is the personal message each recipient is sent through the queue.
    expect(response.status).toBe(200);
  };
  const told = (user: typeof ana) =>
    connector.sentTo(`a:chat-with-${user.id}`).map((sent) => sent.activity.text);
  const memberOf = async (organizationId: number, name: string) =>
    (
      await plaudit.db
        .selectFrom('members')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('display_name', '=', name)
        .executeTakeFirstOrThrow()
    ).id;
  const organizationOf = async (tenantId: string) =>
    (
      await plaudit.db
        .selectFrom('teams_tenants')
        .select('organization_id')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).organization_id;

  beforeAll(async () => {
    await connector.start();
    const tenants = { TEAMS_ALLOWED_TENANTS: `${tenantA},${tenantB}` };
    const env = {
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      PLAUDIT_ROLE: 'web',
      JOBS_LOCK_MS: '2000',
    };
    plaudit = await startTeamsPlaudit(connector, APP_ID, tenants, env);
    // The web process answers; a worker's taker sends the notifications.
    taker = await takeTeamsNotificationsBeside(connector, APP_ID, tenants, env);
    notifications = new Queue('notifications', {
      connection: { url: inject('redisUrl') },
      prefix,
    });
  });
  afterAll(async () => {
    await notifications?.close();
    await plaudit?.close();
    await taker?.close();
    await connector.stop();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('delivers the kudos of an organization created after start, each to its own people only', async () => {
    // Tenant B gets an organization of its own while Plaudit runs, before anyone of B
    // speaks: what a new install, or a tenant connected by itself, does after start.
    const organizationB = await createConnectedOrganization(plaudit.db, 'Tenant B');
    await plaudit.db
      .insertInto('teams_tenants')
      .values({ tenant_id: tenantB, organization_id: organizationB })
      .onConflict((conflict) =>
        conflict.column('tenant_id').doUpdateSet({ organization_id: organizationB }),
      )
      .execute();
    expect(await organizationOf(tenantA)).not.toBe(organizationB);

    await give(tenantB, bea, dee, 'the new office');
    await give(tenantA, ana, li, 'the launch');

    await until(() => told(dee).length > 0 && told(li).length > 0);
    await plaudit.settled();
    expect(told(dee)).toEqual(['🎉 Bea gave you 5 points for the new office']);
    expect(told(li)).toEqual(['🎉 Ana gave you 5 points for the launch']);
    // Each chat was opened in its own tenant, with its own person; nobody else was written to.
    expect(
      connector.createdConversations.map((created) => [
        created.tenantId,
        (created.members as Array<{ id: string }>)[0]?.id,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [tenantB, dee.id],
        [tenantA, li.id],
      ]),
    );
    expect(connector.createdConversations).toHaveLength(2);
    expect(told(ana)).toEqual([]);
    expect(told(bea)).toEqual([]);
    const outbox = await plaudit.db
      .selectFrom('notification_outbox')
      .select('queued_at')
      .where('organization_id', 'in', [organizationB, await organizationOf(tenantA)])
      .execute();
    expect(outbox.map((row) => row.queued_at !== null)).toEqual([true, true]);
  });

  it('never tells a person of B what a job of A says, even when the job names them', async () => {
    const organizationA = await organizationOf(tenantA);
    const organizationB = await organizationOf(tenantB);
    const deeId = await memberOf(organizationB, 'Dee');
    const before = told(dee);
    // A mixed-up (or forged) job: organization A's news, addressed to B's member.
    await plaudit.jobs.add(
      'notifications',
      TELL_PERSON,
      { organizationId: organizationA, memberId: deeId, text: 'A word for A only' },
      { jobId: 'crossed-tell', attempts: 1 },
    );
    // And B's own news to her, after it: once it is delivered, the crossed one is done too.
    await plaudit.jobs.add(
      'notifications',
      TELL_PERSON,
      { organizationId: organizationB, memberId: deeId, text: 'A word for B' },
      { jobId: 'own-tell', attempts: 1 },
    );
    await until(() => told(dee).length > before.length);
    await until(async () => (await notifications.getJob('crossed-tell'))?.finishedOn !== undefined);
    expect(await notifications.getJobState('crossed-tell')).toBe('completed');
    expect(told(dee)).toEqual([...before, 'A word for B']);
  });
});

/**
 * Kudos of a tenant's own organization given while Redis was away, by a process that has
 * stopped since: the next process relays them as it starts, before anyone of that
 * organization gives again.
 */
describe('notifications waiting in the outbox of every served organization', () => {
  const prefix = `test-orgs-waiting-${randomUUID()}`;
  const connector = new FakeBotConnector();
  const tenantC = randomUUID();
  const tenantD = randomUUID();
  const inD = tenantPeople(connector, tenantD);
  const eve = inD('Eve');
  const finn = inD('Finn');
  let db: Database;
  let plaudit: RunningPlaudit | undefined;
  let taker: NotificationTaker | undefined;
  const tenants = { TEAMS_ALLOWED_TENANTS: `${tenantC},${tenantD}` };
  const webEnv = (redis: Record<string, string>) => ({
    REDIS_PREFIX: prefix,
    PLAUDIT_ROLE: 'web',
    JOBS_LOCK_MS: '2000',
    ...redis,
  });
  const start = (redis: Record<string, string>) =>
    startTeamsPlaudit(connector, APP_ID, tenants, webEnv(redis));

  beforeAll(async () => {
    await connector.start();
    db = await openDatabase({ url: inject('databaseUrl'), poolSize: 2 });
    // Each tenant is an organization of its own already.
    for (const tenant of [tenantC, tenantD]) {
      await connectTenant(db, tenant, await createConnectedOrganization(db, `Tenant ${tenant}`));
    }
  });
  afterAll(async () => {
    await plaudit?.close();
    await taker?.close();
    await connector.stop();
    await db?.destroy();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("relays, at start, the waiting kudos of a tenant's organization", async () => {
    // Redis is away (nothing listens there): the kudos waits in the outbox.
    plaudit = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    const scene = teamsScene(connector, APP_ID, tenantD);
    const message = teamsMessage(scene, eve, '<at>Finn</at> 5 for the night shift', {
      conversationType: 'channel',
      conversationId: `19:${randomUUID()}@thread.tacv2;messageid=1`,
      mentions: [finn],
    });
    expect(
      (await postActivity(plaudit.url, message, connectorToken(connector, APP_ID))).status,
    ).toBe(200);
    await plaudit.settled();
    await plaudit.close();
    plaudit = undefined;
    const waiting = () =>
      db
        .selectFrom('notification_outbox as o')
        .innerJoin('teams_tenants as t', 't.organization_id', 'o.organization_id')
        .select('o.queued_at')
        .where('t.tenant_id', '=', tenantD)
        .execute();
    expect(await waiting()).toEqual([{ queued_at: null }]);

    plaudit = await start({ REDIS_URL: inject('redisUrl') });
    // A worker's taker sends what the restarted web process relays.
    taker = await takeTeamsNotificationsBeside(
      connector,
      APP_ID,
      tenants,
      webEnv({ REDIS_URL: inject('redisUrl') }),
    );
    await until(() => connector.sentTo(`a:chat-with-${finn.id}`).length > 0);
    expect(connector.sentTo(`a:chat-with-${finn.id}`).map((sent) => sent.activity.text)).toEqual([
      '🎉 Eve gave you 5 points for the night shift',
    ]);
    expect((await waiting())[0]?.queued_at).toBeInstanceOf(Date);
  });
});
