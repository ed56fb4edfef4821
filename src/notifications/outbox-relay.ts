import type { Logger } from 'pino';
import { deadline } from '../core/deadline.ts';
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
 */
export class OutboxRelay {
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #organizations: readonly number[] = [];

  constructor(
    private readonly db: Database,
    private readonly jobs: Jobs,
    private readonly logger: Logger,
    private readonly addTimeoutMs = 5000,
  ) {}

  /**
   * Relays the outbox of these organizations (the ones this process's chat platforms serve:
   * another deployment on the same database could not announce them) every `intervalMs`
   * until stopped.
   */
  start(organizations: readonly number[], intervalMs = 5000): void {
    this.#organizations = [...organizations];
    this.#timer = setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
    this.kick();
  }

  /** Relays now, or right after the round that is running. */
  kick(): void {
    if (this.#stopped || this.#organizations.length === 0) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#rounds().finally(() => {
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
      const rows = await trx
        .selectFrom('notification_outbox')
        .select('recognition_id')
        .where('queued_at', 'is', null)
        .where('organization_id', 'in', this.#organizations)
        .orderBy('recognition_id')
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
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
      if (rows.length > 0) {
        await trx
          .updateTable('notification_outbox')
          .set({ queued_at: new Date() })
          .where(
            'recognition_id',
            'in',
            rows.map((row) => row.recognition_id),
          )
          .execute();
      }
      return rows.length;
    });
  }
}
