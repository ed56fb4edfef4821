import { type Reply, textReply } from './reply.ts';

/** What a chat command is answered when Plaudit sheds it: nothing was done. */
export const BUSY_TEXT =
  'Plaudit is too busy to take this right now, so it did nothing: no points moved. Please send it again in a minute.';

export function busyReply(): Reply {
  return textReply(BUSY_TEXT, { outcome: 'refused', code: 'busy' });
}

export interface AdmissionLimits {
  /**
   * Chat commands running at once in this process; one more is shed. Past this the work
   * only waits (for a database connection, for the event loop), and each one waiting makes
   * every other answer later.
   */
  readonly inFlight: number;
  /**
   * How long a command may wait before it starts (ms), for every platform; when unset, each
   * caller's own window ({@link CommandAdmission.admit}'s `maxAgeMs`).
   */
  readonly maxWaitMs?: number;
}

/** Why a command was shed before anything was done. */
export type ShedReason = 'saturated' | 'late';

export type Admission =
  | { readonly admitted: true /** Call once the command is answered. */; done(): void }
  | { readonly admitted: false; readonly reason: ShedReason };

/**
 * Decides, before any work starts, whether this process takes a chat command: work it
 * takes it finishes and answers; work it sheds gets a quick polite answer and changes
 * nothing. A command is shed when as many are already running as the limit allows, or
 * when it is already too old to be answered in time (it waited in the socket while the
 * process was saturated, so starting it now would only add to the backlog).
 */
export class CommandAdmission {
  #running = 0;
  readonly #shed = { saturated: 0, late: 0 };

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limits.inFlight) || limits.inFlight < 1) {
      throw new RangeError(
        'CommandAdmission needs a whole number of commands in flight, 1 or more',
      );
    }
  }

  /**
   * @param sentAt when the platform sent the command (epoch ms, {@link sentAt})
   * @param maxAgeMs how old a command may be when it starts, for its platform's answer
   * window (unless the limits set one for all)
   */
  admit(sentAt: number, maxAgeMs: number): Admission {
    if (this.now() - sentAt > (this.limits.maxWaitMs ?? maxAgeMs)) return this.#refuse('late');
    if (this.#running >= this.limits.inFlight) return this.#refuse('saturated');
    this.#running += 1;
    let done = false;
    return {
      admitted: true,
      done: () => {
        if (done) return;
        done = true;
        this.#running -= 1;
      },
    };
  }

  /** Commands running now. */
  get running(): number {
    return this.#running;
  }

  /** Commands shed so far, by reason. */
  get shed(): Readonly<Record<ShedReason, number>> {
    return { ...this.#shed };
  }

  #refuse(reason: ShedReason): Admission {
    this.#shed[reason] += 1;
    return { admitted: false, reason };
  }
}

/**
 * When the platform sent a request, as well as this process can tell: the platform's own
 * timestamp (`platformAt`, epoch ms), but never later than the request's arrival here.
 * Each alone misleads: the arrival is stamped late when the event loop is busy, and the
 * platform's clock may run ahead of this one. Slack's timestamp is in whole seconds, so
 * its caller passes the last millisecond of that second.
 */
export function sentAt(arrivedAt: number, platformAt: number | undefined): number {
  return platformAt === undefined || Number.isNaN(platformAt)
    ? arrivedAt
    : Math.min(arrivedAt, platformAt);
}
