import type { Platform } from '../db/tables.ts';
import type { Pace, RecipientNotifications } from './notifier.ts';
import type { KudosGiven } from './reply.ts';

/**
 * A platform's public celebration of a kudos given on it (a channel post, a Home tab),
 * taking its turn through `pace`. Throws `UndeliverableMessage` when it never can be
 * posted; other errors are passing.
 */
export type Celebration = (event: KudosGiven, pace: Pace) => Promise<void>;

/**
 * A platform's own announcement channel (Teams' is chosen in Teams, by `announce here`):
 * posts the celebration of a kudos given on that platform there, taking its turn through
 * `pace`, or does nothing when the organization chose none. Throws `UndeliverableMessage`
 * when the channel can never be posted to again; other errors are passing.
 */
export type ChannelAnnouncement = (event: KudosGiven, pace: Pace) => Promise<void>;

/**
 * Everything that follows a kudos: the celebration on the platform it was given on, and a
 * personal message to each recipient through the notifier port. The notifications jobs
 * run each of them once, after the answer, wherever a worker takes them.
 */
export class KudosAnnouncements {
  readonly #celebrations = new Map<Platform, Celebration>();
  readonly #channels = new Map<Platform, ChannelAnnouncement>();

  constructor(readonly recipients: RecipientNotifications) {}

  celebrateOn(platform: Platform, celebration: Celebration): void {
    this.#celebrations.set(platform, celebration);
  }

  announceOn(platform: Platform, announcement: ChannelAnnouncement): void {
    this.#channels.set(platform, announcement);
  }

  /** The origin platform's own announcement channel, if it keeps one apart from its settings. */
  announcementOn(origin: Platform): ChannelAnnouncement | undefined {
    return this.#channels.get(origin);
  }

  /** The origin platform's celebration, if it has one (in Teams the answer is the celebration). */
  celebrationOn(origin: Platform): Celebration | undefined {
    return this.#celebrations.get(origin);
  }
}
