import type { Logger } from 'pino';

/**
 * Work that follows an answer (celebrations, personal messages, Home tabs): started
 * without holding up the answer, logged if it fails, and tracked so that shutdown and
 * tests can wait until all of it has finished.
 */
export class FollowUps {
  readonly #running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  start(label: string, work: () => Promise<void>): void {
    const running = work().catch((error) => this.logger.error({ err: error }, `${label} failed`));
    this.#running.add(running);
    running.finally(() => this.#running.delete(running));
  }

  /** Resolves once every follow-up started so far (and any they started) has finished. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
