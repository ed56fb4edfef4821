import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Command } from '../core/command.ts';
import { deadline } from '../core/deadline.ts';
import type { Reply } from '../core/reply.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import type { Jobs } from '../jobs/job-queue.ts';
import { KUDOS_GIVEN, type KudosGivenJob } from './kudos-notifications.ts';

/** Rows moved to the queue per round. */
const BATCH = 200;

/**
 * Moves the notification outbox to the `notifications` queue: after each give (a kick),
 * and every few seconds for whatever is left (Redis was away, a process stopped). Rows
 * are taken with `for update skip locked`, so several processes relay side by side; a row
 * is marked queued only once the queue has it, and its job id is the recognition's, so a
 * row queued twice (a crash between the two) is still one job.
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
  readonly #organizations = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly jobs: Jobs,
    private readonly logger: Logger,
    private readonly addTimeoutMs = 5000,
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
   * Relays right after this turn of the event loop, or right after the round that is
   * running: the kicks of one give (its adapter's and the router's), and of gives answered
   * together, make one round, where each started its own (three round trips each, one of
   * them finding nothing).
   */
  kick(): void {
    if (this.#stopped || this.#organizations.size === 0) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
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

  async #rounds(): Promise<void> {
    do {
      this.#again = false;
      try {
        while ((await this.#round()) === BATCH && !this.#stopped) {}
      } catch (error) {
        this.logger.warn({ err: error }, 'notifications wait in the outbox: the queue is away');
        return;
      }
    } while (this.#again && !this.#stopped);
  }

  /** Moves one batch; resolves with how many rows it moved. */
  async #round(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // Marked queued and locked in one statement; rolled back unless every job is queued.
      const rows = await takeWaiting(trx, [...this.#organizations], BATCH, new Date());
      rows.sort((a, b) => a.recognition_id - b.recognition_id);
      for (const row of rows) {
        await deadline(
          this.jobs.add(
            'notifications',
            KUDOS_GIVEN,
            { recognitionId: row.recognition_id } satisfies KudosGivenJob,
            { jobId: `kudos-${row.recognition_id}`, attempts: 8, backoffMs: 2000 },
          ),
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
 * marked queued at `at` (skipping rows another relay holds): run after every give, so
 * compiled once.
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
        .where('organization_id', '=', sql<number>`any(${organizations})`)
        .orderBy('recognition_id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning('recognition_id'),
);
