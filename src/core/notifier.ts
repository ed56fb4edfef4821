import type { Platform } from '../db/tables.ts';
import type { KudosGiven } from './reply.ts';

/**
 * Waits for a turn to send on `key` (a channel, a person): one per `everyMs` among every
 * process. Given by the job that sends, which may be put back until the turn is due.
 */
export type Pace = (key: string, everyMs: number) => Promise<void>;

/**
 * A message no retry can deliver: the person left or was deactivated, the bot was removed
 * from the channel or uninstalled. Anything else a send throws counts as passing (a
 * timeout, a 5xx, a rate limit) and is tried again later.
 */
export class UndeliverableMessage extends Error {
  constructor(
    readonly platform: Platform,
    reason: string,
  ) {
    super(`${platform}: ${reason}`);
    this.name = 'UndeliverableMessage';
  }
}

/** What a platform did with one recipient: told them, or does not know them. */
export type Telling = 'told' | 'not-here';

/** A chat platform's way of telling people, in private, that they received kudos. */
export interface RecipientNotifier {
  readonly platform: Platform;
  /**
   * Tells one recipient of `event`, in one message, taking its turn through `pace`.
   * Throws {@link UndeliverableMessage} when the platform knows them but can never reach
   * them; other errors are passing.
   */
  tellRecipient(event: KudosGiven, memberId: number, pace: Pace): Promise<Telling>;
  /** Sends a member a personal message (a redemption's news), as `tellRecipient` does. */
  tellPerson(organizationId: number, memberId: number, text: string, pace: Pace): Promise<Telling>;
}

/** Where one recipient was told, and which platforms could never reach them. */
export interface RecipientTold {
  readonly platform: Platform | undefined;
  readonly undeliverable: readonly UndeliverableMessage[];
}

/**
 * The notifier port: every connected platform registers here, and a kudos given on one
 * reaches each recipient once: on the platform it was given on when they are there,
 * otherwise on the next platform that can reach them.
 */
export class RecipientNotifications {
  readonly #notifiers: RecipientNotifier[] = [];

  register(notifier: RecipientNotifier): void {
    this.#notifiers.push(notifier);
  }

  /**
   * Tells one recipient on the first platform that can. A passing failure is thrown at
   * once (the job retries from the origin platform, so nobody is told twice); a platform
   * that can never reach them is passed over.
   */
  tell(event: KudosGiven, origin: Platform, memberId: number, pace: Pace): Promise<RecipientTold> {
    return this.#first(origin, (notifier) => notifier.tellRecipient(event, memberId, pace));
  }

  /** Sends a member a personal message on the first platform that knows them. */
  tellPerson(
    organizationId: number,
    memberId: number,
    text: string,
    pace: Pace,
  ): Promise<RecipientTold> {
    return this.#first(undefined, (notifier) =>
      notifier.tellPerson(organizationId, memberId, text, pace),
    );
  }

  async #first(
    origin: Platform | undefined,
    send: (notifier: RecipientNotifier) => Promise<Telling>,
  ): Promise<RecipientTold> {
    const undeliverable: UndeliverableMessage[] = [];
    const ordered = [
      ...this.#notifiers.filter((notifier) => notifier.platform === origin),
      ...this.#notifiers.filter((notifier) => notifier.platform !== origin),
    ];
    for (const notifier of ordered) {
      try {
        if ((await send(notifier)) === 'told')
          return { platform: notifier.platform, undeliverable };
      } catch (error) {
        if (!(error instanceof UndeliverableMessage)) throw error;
        undeliverable.push(error);
      }
    }
    return { platform: undefined, undeliverable };
  }
}
