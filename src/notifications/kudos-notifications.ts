import type { Logger } from 'pino';
import type { KudosAnnouncements } from '../core/announcements.ts';
import { type RecipientTold, UndeliverableMessage } from '../core/notifier.ts';
import type { Database } from '../db/database.ts';
import {
  type Job,
  type JobHandler,
  type Jobs,
  type JobToAdd,
  PermanentJobFailure,
} from '../jobs/job-queue.ts';
import { type Notification, WaitingNotifications } from './waiting-notifications.ts';

/**
 * The job a relay of before queued for each recognition: it queues the sends that follow
 * (the relay now queues them itself).
 */
export const KUDOS_GIVEN = 'kudos-given';
/** One celebration, on the platform the kudos was given on. */
export const CELEBRATE_KUDOS = 'celebrate-kudos';
/** One post in the origin platform's own announcement channel (Teams'). */
export const ANNOUNCE_KUDOS = 'announce-kudos';
/** One personal message, to one recipient. */
export const TELL_RECIPIENT = 'tell-recipient';
/** One personal message of any other kind (a redemption's news), to one member. */
export const TELL_PERSON = 'tell-person';

export interface KudosGivenJob {
  readonly recognitionId: number;
  /** A celebration's channel other than the one the kudos was given in: the announcement channel. */
  readonly channel?: string;
  /**
   * The notification itself, as the outbox keeps it (written with the recognition and never
   * changed), carried by the sends the relay queues: none of them reads it again. Absent
   * in jobs queued before it was carried; read from the outbox then.
   */
  readonly notification?: Notification;
}

export interface TellRecipientJob {
  readonly recognitionId: number;
  readonly memberId: number;
  /** As in {@link KudosGivenJob.notification}. */
  readonly notification?: Notification;
}

export interface TellPersonJob {
  readonly organizationId: number;
  readonly memberId: number;
  readonly text: string;
}

/** Each send is tried this many times, 2 s, 4 s, 8 s … apart (about eight minutes in all). */
export const SEND_RETRIES = { attempts: 8, backoffMs: 2000 } as const;

/**
 * The sends that follow a kudos, each a job of its own (its celebration, the
 * organization's announcement channel's, the origin platform's own announcement, and one
 * per recipient), each with an id made of the recognition and the person or channel, so
 * a send is tried, paced and retried on its own, and queued twice is still one job.
 * `announcementChannel` is the organization's setting as it is now; `announcements`
 * says which platforms celebrate and announce.
 */
export function kudosSends(
  recognitionId: number,
  notification: Notification,
  announcementChannel: string | null,
  announcements: KudosAnnouncements,
  /**
   * Whether the origin platform's own announcement channel is chosen now (Teams': `announce
   * here`); when known to be none, no job runs only to find none. Unknown: queued.
   */
  originChannel = true,
): JobToAdd[] {
  const { event, origin } = notification;
  const sends: JobToAdd[] = [];
  // A boost is shown on the celebration of the kudos it boosts, not posted anew; a
  // private kudos is celebrated nowhere: its recipients alone are told, below.
  if (!event.private && announcements.celebrationOn(origin) && event.boostOf === undefined) {
    sends.push({
      name: CELEBRATE_KUDOS,
      data: { recognitionId, notification } satisfies KudosGivenJob,
      options: { jobId: `celebrate-${recognitionId}`, ...SEND_RETRIES },
    });
    // The organization's announcement channel celebrates every kudos too, as its own
    // send, so a retry of one never posts the other twice.
    const channel = announcementChannel;
    if (channel && channel !== event.channel) {
      sends.push({
        name: CELEBRATE_KUDOS,
        data: { recognitionId, channel, notification } satisfies KudosGivenJob,
        options: { jobId: `announce-${recognitionId}`, ...SEND_RETRIES },
      });
    }
  }
  if (announcements.announcementOn(origin) && originChannel) {
    sends.push({
      name: ANNOUNCE_KUDOS,
      data: { recognitionId, notification } satisfies KudosGivenJob,
      options: { jobId: `announce-${origin}-${recognitionId}`, ...SEND_RETRIES },
    });
  }
  for (const { memberId } of event.recipients) {
    sends.push({
      name: TELL_RECIPIENT,
      data: { recognitionId, memberId, notification } satisfies TellRecipientJob,
      options: { jobId: `tell-${recognitionId}-${memberId}`, ...SEND_RETRIES },
    });
  }
  return sends;
}

/**
 * The notifications queue's handlers: one per send (see {@link kudosSends}), so a rate
 * limit or a passing failure delays only it, a recipient who left fails only theirs (at
 * once, and logged), and nobody told is told again when another send is retried. The
 * outbox relay queues the sends of each kudos itself; `kudos-given`, which queues them
 * from the worker, stays for the jobs a relay of before queued.
 */
export function kudosNotificationHandlers(
  db: Database,
  jobs: Jobs,
  announcements: KudosAnnouncements,
  logger: Logger,
): Record<string, JobHandler> {
  const notifications = new WaitingNotifications(db);
  /** The job's notification: carried with it, or read (once per process) from the outbox. */
  const notificationOf = (data: KudosGivenJob | TellRecipientJob): Promise<Notification> =>
    data.notification ? Promise.resolve(data.notification) : notifications.read(data.recognitionId);
  return {
    [KUDOS_GIVEN]: async (job) => {
      const { recognitionId } = job.data as KudosGivenJob;
      const { announcementChannel, ...notification } =
        await notifications.readWithChannel(recognitionId);
      await jobs.addBulk(
        'notifications',
        kudosSends(recognitionId, notification, announcementChannel, announcements),
      );
    },

    [CELEBRATE_KUDOS]: async (job) => {
      const data = job.data as KudosGivenJob;
      const { event, origin } = await notificationOf(data);
      const channel = data.channel;
      try {
        await announcements.celebrationOn(origin)?.(
          channel ? { ...event, channel } : event,
          job.pace,
        );
      } catch (error) {
        if (error instanceof UndeliverableMessage) throw new PermanentJobFailure(error.message);
        throw error;
      }
    },

    [ANNOUNCE_KUDOS]: async (job) => {
      const { event, origin } = await notificationOf(job.data as KudosGivenJob);
      try {
        await announcements.announcementOn(origin)?.(event, job.pace);
      } catch (error) {
        if (error instanceof UndeliverableMessage) throw new PermanentJobFailure(error.message);
        throw error;
      }
    },

    [TELL_RECIPIENT]: async (job: Job) => {
      const data = job.data as TellRecipientJob;
      const { recognitionId, memberId } = data;
      const { event, origin } = await notificationOf(data);
      const told = await announcements.recipients.tell(event, origin, memberId, job.pace);
      settleTelling(
        told,
        `member ${memberId} cannot be told of recognition ${recognitionId}`,
        logger,
      );
    },

    [TELL_PERSON]: async (job: Job) => {
      const { organizationId, memberId, text } = job.data as TellPersonJob;
      const told = await announcements.recipients.tellPerson(
        organizationId,
        memberId,
        text,
        job.pace,
      );
      settleTelling(told, `member ${memberId} cannot be told`, logger);
    },
  };
}

/**
 * Ends a personal message's job: told somewhere, done; refused for good by every platform
 * that knows the member, a permanent failure; known to none (someone only the console
 * knows), nowhere to tell them.
 */
function settleTelling(told: RecipientTold, failure: string, logger: Logger): void {
  if (told.platform) return;
  if (told.undeliverable.length > 0) {
    throw new PermanentJobFailure(
      `${failure}: ${told.undeliverable.map((refusal) => refusal.message).join('; ')}`,
    );
  }
  logger.debug({ failure }, 'no chat platform knows this member');
}
