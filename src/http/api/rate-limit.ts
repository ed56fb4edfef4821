import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What one request's turn says: go on, or wait this long. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Until the window opens again. */
  readonly resetMs: number;
}

/**
 * Requests per token in a fixed window of a minute. Fixed windows let a client send up to
 * twice the limit across a window's edge; for a per-token quota that guards the database
 * from a runaway script, that is precise enough, and it is one atomic step in Redis.
 */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

export const RATE_WINDOW_MS = 60_000;

/** One process's counts: local mode, and deployments without Redis. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string): Promise<RateDecision> {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || window.endsAt <= now) {
      // Forget ended windows now and then, so idle tokens do not pile up.
      if (this.#windows.size > 10_000) {
        for (const [other, { endsAt }] of this.#windows) {
          if (endsAt <= now) this.#windows.delete(other);
        }
      }
      window = { count: 0, endsAt: now + RATE_WINDOW_MS };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return decision(this.limit, window.count, window.endsAt - now);
  }

  async close(): Promise<void> {}
}

/**
 * Counts and starts the window in one script, so every web process shares one count per
 * token and a window always ends. KEYS: the count. ARGV: window length. Returns the count
 * and the milliseconds left.
 */
const TAKE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return { count, left }
`;

/** Counts shared by every web process, in Redis. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly logger: Logger,
  ) {
    // Like the queue producer: a request must not hang while Redis is away.
    this.#redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
    });
    this.#redis.on('error', (error) =>
      logger.warn({ err: error }, 'Redis (API rate limit) connection error'),
    );
  }

  async take(key: string): Promise<RateDecision> {
    try {
      const [count, left] = (await this.#redis.eval(
        TAKE,
        1,
        `${this.prefix}:api-rate:${key}`,
        RATE_WINDOW_MS,
      )) as [number, number];
      return decision(this.limit, Number(count), Number(left));
    } catch (error) {
      // The limit guards the API; it must not take it down with Redis. Let the request by.
      this.logger.warn({ err: error }, 'API rate limit unavailable: Redis did not answer');
      return { allowed: true, limit: this.limit, remaining: this.limit, resetMs: RATE_WINDOW_MS };
    }
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }
}

function decision(limit: number, count: number, resetMs: number): RateDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetMs: Math.max(0, resetMs),
  };
}

/** Redis when the deployment has it, so every web process counts together; memory otherwise. */
export function openRateLimiter(
  options: { redisUrl?: string | undefined; prefix: string; limit: number },
  logger: Logger,
): RateLimiter {
  return options.redisUrl
    ? new RedisRateLimiter(options.redisUrl, options.prefix, options.limit, logger)
    : new MemoryRateLimiter(options.limit);
}
