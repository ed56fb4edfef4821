import type { Logger } from 'pino';
import type { KudosAnnouncements } from '../core/announcements.ts';
import { type RecipientTold, UndeliverableMessage } from '../core/notifier.ts';
import type { Database } from '../db/database.ts';
import { type Job, type JobHandler, type Jobs, PermanentJobFailure } from '../jobs/job-queue.ts';
import { WaitingNotifications } from './waiting-notifications.ts';

/** The job the outbox relay queues for each recognition: it queues the sends that follow. */
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
}

export interface TellRecipientJob {
  readonly recognitionId: number;
  readonly memberId: number;
}

export interface TellPersonJob {
  readonly organizationId: number;
  readonly memberId: number;
  readonly text: string;
}

/** Each send is tried this many times, 2 s, 4 s, 8 s … apart (about eight minutes in all). */
export const SEND_RETRIES = { attempts: 8, backoffMs: 2000 } as const;

/**
 * The notifications queue's handlers. A recognition's job queues one job per send (its
 * celebration, and one per recipient), each with an id made of the recognition and the
 * person, so a send is tried, paced and retried on its own: a rate limit or a passing
 * failure delays only it, a recipient who left fails only theirs (at once, and logged),
 * and nobody told is told again when another send is retried.
 */
export function kudosNotificationHandlers(
  db: Database,
  jobs: Jobs,
  announcements: KudosAnnouncements,
  logger: Logger,
): Record<string, JobHandler> {
  const notifications = new WaitingNotifications(db);
  return {
    [KUDOS_GIVEN]: async (job) => {
      const { recognitionId } = job.data as KudosGivenJob;
      const { event, origin, announcementChannel } =
        await notifications.readWithChannel(recognitionId);
      // A boost is shown on the celebration of the kudos it boosts, not posted anew; a
      // private kudos is celebrated nowhere: its recipients alone are told, below.
      if (!event.private && announcements.celebrationOn(origin) && event.boostOf === undefined) {
        await jobs.add(
          'notifications',
          CELEBRATE_KUDOS,
          { recognitionId } satisfies KudosGivenJob,
          {
            jobId: `celebrate-${recognitionId}`,
            ...SEND_RETRIES,
          },
        );
        // The organization's announcement channel celebrates every kudos too, as its own
        // send, so a retry of one never posts the other twice.
        const channel = announcementChannel;
        if (channel && channel !== event.channel) {
          await jobs.add(
            'notifications',
            CELEBRATE_KUDOS,
            { recognitionId, channel } satisfies KudosGivenJob,
            { jobId: `announce-${recognitionId}`, ...SEND_RETRIES },
          );
        }
      }
      if (announcements.announcementOn(origin)) {
        await jobs.add('notifications', ANNOUNCE_KUDOS, { recognitionId } satisfies KudosGivenJob, {
          jobId: `announce-${origin}-${recognitionId}`,
          ...SEND_RETRIES,
        });
      }
      for (const { memberId } of event.recipients) {
        await jobs.add(
          'notifications',
          TELL_RECIPIENT,
          { recognitionId, memberId } satisfies TellRecipientJob,
          { jobId: `tell-${recognitionId}-${memberId}`, ...SEND_RETRIES },
        );
      }
    },

    [CELEBRATE_KUDOS]: async (job) => {
      const { recognitionId, channel } = job.data as KudosGivenJob;
      const { event, origin } = await notifications.read(recognitionId);
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
      const { recognitionId } = job.data as KudosGivenJob;
      const { event, origin } = await notifications.read(recognitionId);
      try {
        await announcements.announcementOn(origin)?.(event, job.pace);
      } catch (error) {
        if (error instanceof UndeliverableMessage) throw new PermanentJobFailure(error.message);
        throw error;
      }
    },

    [TELL_RECIPIENT]: async (job: Job) => {
      const { recognitionId, memberId } = job.data as TellRecipientJob;
      const { event, origin } = await notifications.read(recognitionId);
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
