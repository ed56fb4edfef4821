import type { KudosGiven } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import type { Platform } from '../db/tables.ts';
import { PermanentJobFailure } from '../jobs/job-queue.ts';
import { announcedKudos } from '../recognition/boosts.ts';

export interface Notification {
  readonly event: KudosGiven;
  readonly origin: Platform;
}

/**
 * How many recognitions' notifications a process keeps once read: a kudos's jobs (its
 * own, its celebrations', each recipient's) run within moments of each other.
 */
const KEPT_NOTIFICATIONS = 1000;

/**
 * The announcement written with each recognition, as the outbox keeps it, read once per
 * process for all of its jobs: the outbox's event is written with the recognition and
 * never changed, so what was read stays true.
 */
export class WaitingNotifications {
  readonly #kept = new Map<number, Promise<Notification>>();

  constructor(private readonly db: Database) {}

  read(recognitionId: number): Promise<Notification> {
    let read = this.#kept.get(recognitionId);
    if (!read) {
      read = this.#fromOutbox(recognitionId);
      this.#kept.set(recognitionId, read);
      // Not kept: a failed read (the job retries it), or a recognition with no row.
      read.catch(() => this.#kept.delete(recognitionId));
      if (this.#kept.size > KEPT_NOTIFICATIONS) {
        const [oldest] = this.#kept.keys();
        this.#kept.delete(oldest as number);
      }
    }
    return read;
  }

  async #fromOutbox(recognitionId: number): Promise<Notification> {
    const announced = await announcedKudos(this.db, recognitionId);
    if (!announced) {
      throw new PermanentJobFailure(`recognition ${recognitionId} has no notification`);
    }
    return announced;
  }
}
