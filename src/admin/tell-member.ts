import { deadline } from '../core/deadline.ts';
import {
  SEND_RETRIES,
  TELL_PERSON,
  type TellPersonJob,
} from '../notifications/kudos-notifications.ts';
import type { AdminServices } from './admin-services.ts';

/** How long queueing a message may take before the action's answer goes out without it. */
const QUEUE_TIMEOUT_MS = 5000;

/**
 * Tells a member, in a direct message, what an admin did to their points. The job id names
 * the change, so telling twice is one message; a queue that is away loses the message
 * (logged), never the change, which is already committed.
 */
export async function tellMember(
  services: Pick<AdminServices, 'jobs' | 'logger'>,
  message: TellPersonJob & { jobId: string },
): Promise<void> {
  const { jobId, ...job } = message;
  try {
    await deadline(
      services.jobs.add('notifications', TELL_PERSON, job, { jobId, ...SEND_RETRIES }),
      QUEUE_TIMEOUT_MS,
      'the job queue',
    );
  } catch (error) {
    services.logger.warn({ err: error, jobId }, 'a member was not told of an admin change');
  }
}
