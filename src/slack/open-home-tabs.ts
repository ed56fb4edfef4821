import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * How long an opening counts: a person who opened their Home tab within this time may
 * still be looking at it, or come back to it, so changes refresh it.
 */
const OPEN_FOR_SECONDS = 30 * 24 * 3600;

/** How long a look-up waits for Redis before answering from this process's memory alone. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * The Slack Home tabs people have opened (`app_home_opened` reaches a web process), so
 * that a change (a kudos, a redemption's news) refreshes the tabs someone looks at, from
 * whichever process sends it: a worker takes the notifications. Keys name the workspace
 * and the person.
 */
export interface OpenHomeTabs {
  opened(key: string): Promise<void>;
  isOpen(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The openings this process saw: local mode's single process, or Redis away. */
export class OpenHomeTabsInMemory implements OpenHomeTabs {
  readonly #opened = new Set<string>();

  async opened(key: string): Promise<void> {
    this.#opened.add(key);
  }

  async isOpen(key: string): Promise<boolean> {
    return this.#opened.has(key);
  }

  async close(): Promise<void> {}
}

/**
 * Openings shared through Redis by every process of the deployment (a key each, expiring
 * after {@link OPEN_FOR_SECONDS}), and kept in this process's memory too, so a Redis that
 * is away or slow loses only the other processes' openings, never holds a send up.
 */
export class OpenHomeTabsInRedis implements OpenHomeTabs {
  readonly #local = new OpenHomeTabsInMemory();
  readonly #redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    // Like the queue producer: commands fail at once while Redis is disconnected.
    this.#redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
    });
    this.#redis.on('error', (error) =>
      logger.warn({ err: error }, 'Redis (Slack Home tabs) connection error'),
    );
  }

  async opened(key: string): Promise<void> {
    await this.#local.opened(key);
    await this.#redis
      .set(this.#key(key), '1', 'EX', OPEN_FOR_SECONDS)
      .catch((error: unknown) =>
        this.logger.debug({ err: error }, 'a Slack Home tab opening was kept in memory only'),
      );
  }

  async isOpen(key: string): Promise<boolean> {
    if (await this.#local.isOpen(key)) return true;
    return (await this.#redis.exists(this.#key(key)).catch(() => 0)) === 1;
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }

  #key(key: string): string {
    return `${this.prefix}:slack-home-open:${key}`;
  }
}

/** Redis when the deployment has it, so a worker refreshes the tabs web saw opened. */
export function openHomeTabs(
  redis: { url: string | undefined; prefix: string },
  logger: Logger,
): OpenHomeTabs {
  return redis.url
    ? new OpenHomeTabsInRedis(redis.url, redis.prefix, logger)
    : new OpenHomeTabsInMemory();
}
