import type { KudosGiven } from '../core/reply.ts';
import { compiledQuery } from '../db/compiled-query.ts';
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
    return (
      this.#kept.get(recognitionId) ?? this.#keep(recognitionId, this.#fromOutbox(recognitionId))
    );
  }

  /**
   * The notification, with the channel its organization announces every kudos in as it is
   * now (a setting, read afresh each time, never kept), in one statement: the first job of
   * each kudos needs both.
   */
  async readWithChannel(
    recognitionId: number,
  ): Promise<Notification & { announcementChannel: string | null }> {
    const [row] = await withAnnouncementChannel(this.db, recognitionId);
    if (!row) throw new PermanentJobFailure(`recognition ${recognitionId} has no notification`);
    const notification =
      this.#kept.get(recognitionId) ?? this.#keep(recognitionId, Promise.resolve(announced(row)));
    return { ...(await notification), announcementChannel: row.announcement_channel };
  }

  #keep(recognitionId: number, read: Promise<Notification>): Promise<Notification> {
    this.#kept.set(recognitionId, read);
    // Not kept: a failed read (the job retries it), or a recognition with no row.
    read.catch(() => this.#kept.delete(recognitionId));
    if (this.#kept.size > KEPT_NOTIFICATIONS) {
      const [oldest] = this.#kept.keys();
      this.#kept.delete(oldest as number);
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

/** The first read of every kudos's notifications: compiled once. */
const withAnnouncementChannel = compiledQuery((db, recognitionId: number) =>
  db
    .selectFrom('notification_outbox as o')
    .leftJoin('recognition_settings as s', 's.organization_id', 'o.organization_id')
    .select(['o.origin', 'o.event', 's.announcement_channel'])
    .where('o.recognition_id', '=', recognitionId),
);

function announced(row: { origin: Platform; event: Record<string, unknown> }): Notification {
  return { event: row.event as unknown as KudosGiven, origin: row.origin };
}
