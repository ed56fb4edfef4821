import type { Logger } from 'pino';
import type { KudosAnnouncements } from '../core/announcements.ts';
import type { Command } from '../core/command.ts';
import { deadline } from '../core/deadline.ts';
import type { KudosGiven, Reply } from '../core/reply.ts';
import { anyOf, compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import type { Platform } from '../db/tables.ts';
import type { Jobs } from '../jobs/job-queue.ts';
import { kudosSends } from './kudos-notifications.ts';

/** Rows moved to the queue per round. */
const BATCH = 200;

/**
 * The least time between the starts of two rounds: while gives keep coming, each round
 * takes those of this long together. A round costs three round trips to the database and
 * one to the queue whatever it carries, and under load one ran for every give or two.
 */
const GATHER_MS = 50;

/**
 * The time the relay keeps between rounds: the process's, or a test's (which then knows
 * when the relay waits, and for how long, without waiting on real time).
 */
export interface RoundClock {
  /** Milliseconds since a fixed moment. */
  now(): number;
  /** Resolves `ms` (more than 0) from now. */
  after(ms: number): Promise<void>;
}

const processClock: RoundClock = {
  now: () => performance.now(),
  after: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Moves the notification outbox to the `notifications` queue: after each give (a kick),
 * and every few seconds for whatever is left (Redis was away, a process stopped). Rows
 * are taken with `for update skip locked`, so several processes relay side by side. Each
 * row becomes its sends (the celebration, one message per recipient: see
 * {@link kudosSends}), carrying the notification, so that no job reads the outbox again
 * and none queues others; a round's sends go to the queue in one round trip. A row is
 * marked queued only once the queue has all its sends, and their ids are made of the
 * recognition's, so a row queued twice (a crash between the two) is still one of each.
 *
 * It relays the organizations this process serves, and only those: another deployment on
 * the same database could not announce the others (its chat platforms are not this one's).
 * They are the ones its platforms were connected to at start, and every one a command of
 * this process gave kudos in since, found as it appears (a workspace installed, a tenant
 * connected after start).
 */
export class OutboxRelay {
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** When the last round started ({@link RoundClock.now}). */
  #lastRound = Number.NEGATIVE_INFINITY;
  /** Rounds wait for this while set: see {@link holdUntil}. */
  #held: Promise<void> | undefined;
  readonly #organizations = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly jobs: Jobs,
    /** Which platforms celebrate and announce: registered by this process's chat adapters. */
    private readonly announcements: KudosAnnouncements,
    private readonly logger: Logger,
    private readonly addTimeoutMs = 5000,
    private readonly clock: RoundClock = processClock,
  ) {}

  /**
   * Relays every `intervalMs` until stopped, the outbox of these organizations (the ones
   * this process's chat platforms serve at start) and of those served later.
   */
  start(organizations: readonly number[], intervalMs = 5000): void {
    this.serve(organizations);
    this.#timer = setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
    this.kick();
  }

  /**
   * Runs no round until `ready` settles (either way); the kicks meanwhile make one round
   * after it. A chat platform still starting registers its sends when it is ready, and a
   * round before then would queue each kudos without them, for good (local mode starts
   * its Teams adapter once it listens).
   */
  holdUntil(ready: Promise<unknown>): void {
    const held = ready.then(
      () => undefined,
      () => undefined,
    );
    this.#held = held;
    void held.then(() => {
      if (this.#held === held) this.#held = undefined;
    });
  }

  /** Relays these organizations' outbox too, from now on. */
  serve(organizations: Iterable<number>): void {
    for (const organizationId of organizations) this.#organizations.add(organizationId);
  }

  /**
   * A command router's observer: a command that gave kudos names an organization this
   * process serves (perhaps one that appeared after start); its outbox is relayed now.
   */
  readonly commandAnswered = (_command: Command, reply: Reply): void => {
    if (reply.events.length === 0) return;
    this.serve(reply.events.map((event) => event.organizationId));
    this.kick();
  };

  /**
   * Relays right after this turn of the event loop, or, when a round ran moments ago,
   * {@link GATHER_MS} after it started: the kicks of one give (its adapter's and the
   * router's), and of gives answered together or in the meantime, make one round, where
   * each started its own (three round trips each, one of them finding nothing).
   */
  kick(): void {
    if (this.#stopped || this.#organizations.size === 0) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const held = this.#held;
    this.#running = (held ? held.then(() => this.#nextRound()) : this.#nextRound())
      .then(() => this.#rounds())
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Resolves once the rounds asked for so far have run. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.settled();
  }

  /** Resolves when the next round may start: {@link GATHER_MS} after the last one started. */
  #nextRound(): Promise<void> {
    const wait = this.#lastRound + GATHER_MS - this.clock.now();
    if (wait > 0) return this.clock.after(wait);
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  async #rounds(): Promise<void> {
    do {
      this.#again = false;
      this.#lastRound = this.clock.now();
      try {
        while ((await this.#round()) === BATCH && !this.#stopped) {}
      } catch (error) {
        this.logger.warn({ err: error }, 'notifications wait in the outbox: the queue is away');
        return;
      }
      // Kicked while the round ran: gives keep coming, and the next round takes together
      // those of a few milliseconds more.
      if (this.#again && !this.#stopped) await this.#nextRound();
    } while (this.#again && !this.#stopped);
  }

  /** Moves one batch; resolves with how many rows it moved. */
  async #round(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // Marked queued and locked in one statement; rolled back unless every job is queued.
      const rows = await takeWaiting(trx, [...this.#organizations], BATCH, new Date());
      rows.sort((a, b) => a.recognition_id - b.recognition_id);
      const sends = rows.flatMap((row) =>
        kudosSends(
          row.recognition_id,
          { event: row.event as unknown as KudosGiven, origin: row.origin as Platform },
          row.announcement_channel,
          this.announcements,
          // Teams' own announcement channel (the one platform that keeps one): a kudos
          // given in Teams while none is chosen has nothing to post there.
          row.origin !== 'teams' || row.teams_announcement_channel === true,
        ),
      );
      if (sends.length > 0) {
        await deadline(
          this.jobs.addBulk('notifications', sends),
          this.addTimeoutMs,
          'the notifications queue',
        );
      }
      return rows.length;
    });
  }
}

/**
 * The outbox rows of these organizations not yet queued, oldest first, at most `limit`,
 * marked queued at `at` (skipping rows another relay holds), with their notification, the
 * channel their organization announces every kudos in as it is now (a setting, read
 * afresh each round), and whether it chose a Teams announcement channel: run after every
 * give, so compiled once.
 */
const takeWaiting = compiledQuery((db, organizations: number[], limit: number, at: Date) =>
  db
    .updateTable('notification_outbox')
    .set({ queued_at: at })
    .where('recognition_id', 'in', (waiting) =>
      waiting
        .selectFrom('notification_outbox')
        .select('recognition_id')
        .where('queued_at', 'is', null)
        .where('organization_id', '=', anyOf(organizations, 'bigint'))
        .orderBy('recognition_id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning((eb) => [
      'recognition_id',
      'origin',
      'event',
      eb
        .selectFrom('recognition_settings as s')
        .select('s.announcement_channel')
        .whereRef('s.organization_id', '=', 'notification_outbox.organization_id')
        .as('announcement_channel'),
      eb
        .exists(
          eb
            .selectFrom('teams_announcement_channels as t')
            .select('t.organization_id')
            .whereRef('t.organization_id', '=', 'notification_outbox.organization_id'),
        )
        .as('teams_announcement_channel'),
    ]),
);
