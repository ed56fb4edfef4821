import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KudosAnnouncements } from '../../../src/core/announcements.ts';
import { RecipientNotifications, type RecipientNotifier } from '../../../src/core/notifier.ts';
import type { KudosGiven } from '../../../src/core/reply.ts';
import type { Database } from '../../../src/db/database.ts';
import type { Job, Jobs, JobToAdd } from '../../../src/jobs/job-queue.ts';
import { kudosNotificationHandlers } from '../../../src/notifications/kudos-notifications.ts';
import { OutboxRelay, type RoundClock } from '../../../src/notifications/outbox-relay.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createRecognitionFixture } from '../../support/recognition-fixture.ts';

/**
 * The relay turns each outbox row into its sends itself, in one round trip to the queue
 * per round, each send carrying the notification: no job reads the outbox again, and no
 * job runs only to queue others.
 */
describe('the outbox relay, on postgres', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('queues every send of a round at once, carrying the notification, and the sends read nothing to send it', async () => {
    const f = await createRecognitionFixture(db, {
      members: { Ana: {}, Li: {}, Jo: {} },
      settings: { announcement_channel: 'CANNOUNCE' },
    });
    const first = await f.kudos('Ana', '@Li @Jo 5 for the launch');
    const second = await f.kudos('Li', '@Ana 3 for the review');
    const ids = [first, second].map((reply) => reply.events[0]?.recognitionId as number);

    const bulks: JobToAdd[][] = [];
    const jobs = {
      add: async () => {
        throw new Error('one job at a time');
      },
      addBulk: async (_queue: string, added: readonly JobToAdd[]) => {
        bulks.push([...added]);
      },
    } as unknown as Jobs;
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    const celebrated: Array<{ recognitionId: number; channel: string | null }> = [];
    // The fixture gives in local mode: its kudos are celebrated there.
    announcements.celebrateOn('local', async (event) => {
      celebrated.push({ recognitionId: event.recognitionId, channel: event.channel });
    });
    const told: Array<{ recognitionId: number; memberId: number }> = [];
    const notifier: RecipientNotifier = {
      platform: 'local',
      tellRecipient: async (event: KudosGiven, memberId: number) => {
        told.push({ recognitionId: event.recognitionId, memberId });
        return 'told';
      },
      tellPerson: async () => 'told',
    };
    announcements.recipients.register(notifier);

    const relay = new OutboxRelay(db, jobs, announcements, pino({ level: 'silent' }));
    relay.start([f.organizationId], 60_000);
    await relay.settled();
    await relay.stop();

    // One round, one round trip: every send of both kudos, each with its own id.
    expect(bulks).toHaveLength(1);
    const sends = bulks[0] ?? [];
    const li = f.members.Li?.id as number;
    const jo = f.members.Jo?.id as number;
    const ana = f.members.Ana?.id as number;
    expect(sends.map((send) => send.options?.jobId).sort()).toEqual(
      [
        `celebrate-${ids[0]}`,
        `announce-${ids[0]}`,
        `tell-${ids[0]}-${li}`,
        `tell-${ids[0]}-${jo}`,
        `celebrate-${ids[1]}`,
        `announce-${ids[1]}`,
        `tell-${ids[1]}-${ana}`,
      ].sort(),
    );

    // The sends run on notifications they carry: not one statement reads the outbox.
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements += 1;
        return args.result;
      },
    };
    const handlers = kudosNotificationHandlers(
      db.withPlugin(counting),
      jobs,
      announcements,
      pino({ level: 'silent' }),
    );
    for (const send of sends) {
      const job: Job = {
        id: send.options?.jobId ?? '',
        name: send.name,
        data: send.data,
        attemptsMade: 0,
        updateProgress: async () => {},
        pace: async () => {},
      };
      await handlers[send.name]?.(job);
    }
    expect(statements).toBe(0);
    expect(celebrated).toHaveLength(4);
    expect(celebrated.filter((one) => one.channel === 'CANNOUNCE')).toHaveLength(2);
    expect(told).toEqual(
      expect.arrayContaining([
        { recognitionId: ids[0], memberId: li },
        { recognitionId: ids[0], memberId: jo },
        { recognitionId: ids[1], memberId: ana },
      ]),
    );

    // Relayed once: the next round finds nothing.
    const again = new OutboxRelay(db, jobs, announcements, pino({ level: 'silent' }));
    again.start([f.organizationId], 60_000);
    await again.settled();
    await again.stop();
    expect(bulks).toHaveLength(1);
  });

  it('lets the gives that keep coming gather between rounds, and relays each once', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    // The relay's time is the test's: a wait the relay asks for ends only when the test
    // moves the clock past it, so nothing here waits on real time, however slow the machine.
    const clock = new TestRoundClock();
    const rounds: string[][] = [];
    // While set, a round's sends are not queued until the test lets them be (the round's
    // transaction stays open): the gives of that time come while it runs.
    let held: Promise<void> | undefined;
    const jobs = {
      addBulk: async (_queue: string, added: readonly JobToAdd[]) => {
        rounds.push(added.map((job) => job.options?.jobId ?? ''));
        clock.stepped();
        await held;
      },
    } as unknown as Jobs;
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    const silent = pino({ level: 'silent' });
    const relay = new OutboxRelay(db, jobs, announcements, silent, 5000, clock);
    const tells = () => rounds.map((round) => round.filter((id) => id.startsWith('tell-')).length);
    const give = async (from: 'Ana' | 'Li', to: 'Ana' | 'Li') => {
      const reply = await f.kudos(from, `@${to} 1`);
      relay.kick();
      return reply.events[0]?.recognitionId as number;
    };
    let release = () => {};
    try {
      // No start(): its every-few-seconds round would be a kick the test did not give.
      relay.serve([f.organizationId]);
      relay.kick();
      await relay.settled();
      // A give the wait after the last round's start is over for goes at once.
      clock.advance(50);
      const first = await give('Ana', 'Li');
      await relay.settled();
      expect(tells()).toEqual([1]);
      expect(clock.asked).toEqual([]);

      // A give within the wait waits for the rest of it (the kick asks at once), and the
      // gives that come meanwhile go in the same round.
      const more = [await give('Li', 'Ana')];
      expect(clock.asked).toEqual([50]);
      more.push(await give('Ana', 'Li'), await give('Li', 'Ana'));
      expect(tells()).toEqual([1]);
      clock.advance(50);
      await relay.settled();
      expect(tells()).toEqual([1, 3]);

      // Gives that come while a round runs: the next round starts 50 ms after that one
      // started (20 of them spent in it here), not as soon as it ends, and takes them all.
      clock.advance(50);
      held = new Promise((resolve) => {
        release = resolve;
      });
      const during = [await give('Ana', 'Li')];
      await clock.once(() => rounds.length === 3);
      during.push(await give('Li', 'Ana'), await give('Ana', 'Li'));
      clock.advance(20);
      held = undefined;
      release();
      // The round ends: the relay then waits, or (wrongly) runs the next round at once.
      await clock.once(() => clock.waiting || rounds.length > 3);
      expect(tells()).toEqual([1, 3, 1]);
      expect(clock.asked).toEqual([50, 30]);
      clock.advance(30);
      await relay.settled();
      expect(tells()).toEqual([1, 3, 1, 2]);

      // Each give's message, once.
      expect(rounds.flat().filter((id) => id.startsWith('tell-'))).toEqual(
        [first, ...more, ...during].map((id) => expect.stringMatching(new RegExp(`^tell-${id}-`))),
      );
    } finally {
      held = undefined;
      release();
      await relay.stop();
    }
  });

  it('runs no round while held, then one with the sends of the platform that became ready meanwhile', async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    const clock = new TestRoundClock();
    const rounds: string[][] = [];
    const jobs = {
      addBulk: async (_queue: string, added: readonly JobToAdd[]) => {
        rounds.push(added.map((job) => job.options?.jobId ?? ''));
      },
    } as unknown as Jobs;
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    const relay = new OutboxRelay(db, jobs, announcements, pino({ level: 'silent' }), 5000, clock);
    let ready = () => {};
    try {
      // A first round (nothing waits yet): the next kick then asks the clock for the rest of
      // its 50 ms at once, so a round the hold let through would show in `clock.asked`.
      relay.serve([f.organizationId]);
      relay.kick();
      await relay.settled();
      expect(rounds).toEqual([]);

      relay.holdUntil(
        new Promise<void>((resolve) => {
          ready = resolve;
        }),
      );
      const reply = await f.kudos('Ana', '@Li 2 for the demo');
      const id = reply.events[0]?.recognitionId as number;
      relay.kick();
      relay.kick();
      expect(clock.asked).toEqual([]);

      // The platform the hold waited for registers its celebration, then is ready.
      announcements.celebrateOn('local', async () => {});
      ready();
      await clock.once(() => clock.waiting);
      expect(clock.asked).toEqual([50]);
      clock.advance(50);
      await relay.settled();
      expect(rounds).toEqual([[`celebrate-${id}`, `tell-${id}-${f.members.Li?.id}`]]);
    } finally {
      // A failed check leaves the hold or a wait open: both end, so the relay stops.
      ready();
      clock.advance(1_000);
      await relay.stop();
    }
  });

  it("queues a Teams kudos's post in Teams' announcement channel only while one is chosen", async () => {
    const f = await createRecognitionFixture(db, { members: { Ana: {}, Li: {} } });
    const bulks: JobToAdd[][] = [];
    const jobs = {
      addBulk: async (_queue: string, added: readonly JobToAdd[]) => {
        bulks.push([...added]);
      },
    } as unknown as Jobs;
    const announcements = new KudosAnnouncements(new RecipientNotifications());
    announcements.announceOn('teams', async () => {});
    const relayed = async () => {
      const reply = await f.kudos('Ana', '@Li 2 for the demo');
      const id = reply.events[0]?.recognitionId as number;
      // Given in Teams, as far as the relay can tell.
      await db
        .updateTable('notification_outbox')
        .set({ origin: 'teams' })
        .where('recognition_id', '=', id)
        .execute();
      bulks.length = 0;
      const relay = new OutboxRelay(db, jobs, announcements, pino({ level: 'silent' }));
      relay.start([f.organizationId], 60_000);
      await relay.settled();
      await relay.stop();
      return { id, jobIds: bulks.flat().map((job) => job.options?.jobId) };
    };

    const none = await relayed();
    expect(none.jobIds).toEqual([`tell-${none.id}-${f.members.Li?.id}`]);

    const tenant = `tenant-${f.organizationId}`;
    await db
      .insertInto('teams_tenants')
      .values({ tenant_id: tenant, organization_id: f.organizationId })
      .execute();
    await db
      .insertInto('teams_announcement_channels')
      .values({
        organization_id: f.organizationId,
        tenant_id: tenant,
        conversation_id: '19:general@thread.tacv2',
        team_id: null,
        reference: JSON.stringify({}),
        chosen_by_member_id: f.members.Ana?.id as number,
      })
      .execute();
    const chosen = await relayed();
    expect(chosen.jobIds).toEqual([
      `announce-teams-${chosen.id}`,
      `tell-${chosen.id}-${f.members.Li?.id}`,
    ]);
  });
});

/**
 * A relay's clock that moves only when the test moves it: it keeps the waits the relay
 * asked for, and lets the test await a step of the relay (a wait asked for, or whatever
 * else calls {@link TestRoundClock.stepped}) instead of real time.
 */
class TestRoundClock implements RoundClock {
  #time = 0;
  readonly #waits: Array<{ ends: number; resolve: () => void }> = [];
  #step = () => {};
  /** The length of each wait asked for, in order. */
  readonly asked: number[] = [];

  now(): number {
    return this.#time;
  }

  after(ms: number): Promise<void> {
    this.asked.push(ms);
    return new Promise((resolve) => {
      this.#waits.push({ ends: this.#time + ms, resolve });
      this.stepped();
    });
  }

  /** Whether a wait asked for has not ended yet. */
  get waiting(): boolean {
    return this.#waits.length > 0;
  }

  /** Moves the time on, ending the waits it passes. */
  advance(ms: number): void {
    this.#time += ms;
    for (const wait of this.#waits.filter((one) => one.ends <= this.#time)) {
      this.#waits.splice(this.#waits.indexOf(wait), 1);
      wait.resolve();
    }
  }

  /** Resolves once `condition` holds: checked now and at each step of the relay. */
  once(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#step = () => {
        if (!condition()) return;
        this.#step = () => {};
        resolve();
      };
      this.#step();
    });
  }

  /** A step of the relay: checks what {@link TestRoundClock.once} awaits. */
  stepped(): void {
    this.#step();
  }
}
