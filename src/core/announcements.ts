import type { Logger } from 'pino';
import type { Platform } from '../db/tables.ts';
import type { RecipientNotifications } from './notifier.ts';
import type { KudosGiven } from './reply.ts';

/** A platform's public celebration of a kudos given on it (a channel post, a Home tab). */
export type Celebration = (event: KudosGiven) => Promise<void>;

/**
 * Everything that follows a kudos: the celebration on the platform it was given on, and a
 * personal message to each recipient through the notifier port. Run by the notifications
 * job, so it happens once per recognition, after the answer, wherever a worker takes it.
 */
export class KudosAnnouncements {
  readonly #celebrations = new Map<Platform, Celebration>();

  constructor(
    readonly recipients: RecipientNotifications,
    private readonly logger?: Logger,
  ) {}

  celebrateOn(platform: Platform, celebration: Celebration): void {
    this.#celebrations.set(platform, celebration);
  }

  async announce(event: KudosGiven, origin: Platform): Promise<void> {
    const celebration = this.#celebrations.get(origin);
    await Promise.all([
      celebration?.(event).catch((error: unknown) =>
        this.logger?.error({ err: error, origin }, 'a celebration failed'),
      ),
      this.recipients.kudosGiven(event, origin),
    ]);
  }
}
