import type { Logger } from 'pino';
import type { Platform } from '../db/tables.ts';
import type { KudosGiven } from './reply.ts';

/** A chat platform's way of telling people, in private, that they received kudos. */
export interface RecipientNotifier {
  readonly platform: Platform;
  /**
   * Tells each recipient of `event` not in `told` that they received it, where this
   * platform can reach them. Resolves with the members it told; never rejects for one
   * person it could not reach (it logs that).
   */
  tellRecipients(event: KudosGiven, told: ReadonlySet<number>): Promise<number[]>;
}

/**
 * The notifier port: every connected platform registers here, and a kudos given on one
 * reaches its recipients once each — on the platform it was given on when they are there,
 * otherwise on the next platform that can reach them.
 */
export class RecipientNotifications {
  readonly #notifiers: RecipientNotifier[] = [];

  constructor(private readonly logger?: Logger) {}

  register(notifier: RecipientNotifier): void {
    this.#notifiers.push(notifier);
  }

  /** Resolves with every member told, once all platforms have tried. */
  async kudosGiven(event: KudosGiven, origin: Platform): Promise<Set<number>> {
    const told = new Set<number>();
    const ordered = [
      ...this.#notifiers.filter((notifier) => notifier.platform === origin),
      ...this.#notifiers.filter((notifier) => notifier.platform !== origin),
    ];
    for (const notifier of ordered) {
      if (event.recipients.every((recipient) => told.has(recipient.memberId))) break;
      // One platform failing (its database reads, its API) must not keep the others quiet.
      const reached = await notifier.tellRecipients(event, told).catch((error: unknown) => {
        this.logger?.error(
          { err: error, platform: notifier.platform },
          'telling recipients failed',
        );
        return [] as number[];
      });
      for (const memberId of reached) told.add(memberId);
    }
    return told;
  }
}
